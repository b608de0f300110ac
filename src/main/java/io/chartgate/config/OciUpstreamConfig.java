package io.chartgate.config;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;

/**
 * A registry speaking the OCI Distribution API (distribution, zot, Harbor, ECR…). The request path reaches it
 * unchanged ({@code /v2/…}), so {@code url} is an origin without a path. {@code auth} (basic, may be null) is
 * what the gateway itself presents: directly when the registry asks for basic, or to the token realm the
 * registry's {@code WWW-Authenticate: Bearer} names. {@code caFile} (https only, may be null) trusts the
 * registry and its token realm.
 */
public record OciUpstreamConfig(
        URI url,
        UpstreamAuth.Basic auth,
        Path caFile,
        int connectTimeoutMs,
        int responseTimeoutMs) implements UpstreamConfig {

    /** Index files are not a registry's: no rewriting and no filtering of any. */
    private static final IndexOptions NO_INDEX = new IndexOptions(false, List.of(), false);

    @Override
    public String type() {
        return "oci";
    }

    @Override
    public <T> T match(Kinds<T> kinds) {
        return kinds.oci(this);
    }

    @Override
    public IndexOptions index() {
        return NO_INDEX;
    }
}
