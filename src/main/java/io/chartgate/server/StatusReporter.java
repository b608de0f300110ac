package io.chartgate.server;

import io.chartgate.admin.StatusReport;
import io.chartgate.config.FileUpstreamConfig;
import io.chartgate.config.GatewayConfig;
import io.chartgate.config.HttpUpstreamConfig;
import io.chartgate.config.MatchKey;
import io.chartgate.config.PolicyConfig;
import io.chartgate.config.RouteConfig;
import io.chartgate.config.RuleConfig;
import io.chartgate.config.S3UpstreamConfig;
import io.chartgate.config.UpstreamConfig;
import io.chartgate.metrics.GatewayMetrics;
import io.chartgate.proxy.GatewayState;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Gathers the status page's facts when it is asked for, from what the gateway keeps anyway: the configuration in
 * force (routes, policy), the readiness probe's last answers, the expiries of the TLS material in force, the
 * recent activity the request handler records and the last reload. Upstream credentials are never taken: a route
 * shows its URL, or its endpoint and bucket, or its directory.
 */
final class StatusReporter {

    private final Supplier<GatewayState> state;
    private final UpstreamProbe probe;
    private final LastReload lastReload;
    private final GatewayMetrics metrics;
    private final Instant startedAt;

    StatusReporter(Supplier<GatewayState> state, UpstreamProbe probe, LastReload lastReload, GatewayMetrics metrics,
            Instant startedAt) {
        this.state = state;
        this.probe = probe;
        this.lastReload = lastReload;
        this.metrics = metrics;
        this.startedAt = startedAt;
    }

    StatusReport report() {
        GatewayConfig config = state.get().config();
        Map<String, UpstreamProbe.Result> probes = probe.results();
        List<StatusReport.Route> routes = new ArrayList<>();
        for (RouteConfig route : config.routes()) {
            UpstreamProbe.Result result = probes.get(route.name());
            StatusReport.Readiness readiness = result == null ? StatusReport.Readiness.NOT_PROBED
                    : result.error() == null ? StatusReport.Readiness.READY : StatusReport.Readiness.NOT_READY;
            routes.add(new StatusReport.Route(route.name(), route.prefix(), route.upstream().type(), target(route.upstream()),
                    readiness, result == null ? null : result.at(), result == null ? null : result.error()));
        }
        List<StatusReport.Rule> rules = new ArrayList<>();
        for (RuleConfig rule : config.policy().rules()) {
            rules.add(new StatusReport.Rule(rule.name(), match(rule.match()), rule.grants().read(), rule.grants().write()));
        }
        PolicyConfig.Grants anonymous = config.policy().anonymous();
        List<StatusReport.Expiry> expiries = metrics.expiries().stream()
                .map(e -> new StatusReport.Expiry(kind(e.kind()), e.subject(), e.at()))
                .sorted(Comparator.comparing(StatusReport.Expiry::at))
                .toList();
        return new StatusReport(Instant.now(), startedAt, routes, rules, anonymous.read(), anonymous.write(), expiries,
                metrics.recent().principals(), lastReload.get(), metrics.recent().denials(), metrics.recent().denialsRecorded());
    }

    /** Where a route goes, without credentials: the URL (user info dropped), the bucket and endpoint, the directory. */
    static String target(UpstreamConfig upstream) {
        return upstream.match(new UpstreamConfig.Kinds<String>() {
            @Override
            public String http(HttpUpstreamConfig http) {
                return withoutUserInfo(http.url());
            }

            @Override
            public String s3(S3UpstreamConfig s3) {
                return "s3://" + s3.bucket() + "/" + s3.keyPrefix() + " at " + withoutUserInfo(s3.endpoint()) + " ("
                        + s3.region() + ")";
            }

            @Override
            public String file(FileUpstreamConfig file) {
                return file.dir().toString();
            }

            @Override
            public String oci(io.chartgate.config.OciUpstreamConfig oci) {
                return "OCI registry " + withoutUserInfo(oci.url()) + (oci.auth() == null ? "" : " (gateway credentials: basic)");
            }
        });
    }

    private static String withoutUserInfo(URI uri) {
        if (uri.getRawUserInfo() == null) {
            return uri.toString();
        }
        try {
            return new URI(uri.getScheme(), null, uri.getHost(), uri.getPort(), uri.getPath(), null, null).toString();
        } catch (URISyntaxException e) {
            return uri.getScheme() + "://" + uri.getHost();
        }
    }

    /** The conditions as {@code key=value}, in the order of {@link MatchKey}. */
    private static List<String> match(Map<MatchKey, String> match) {
        return match.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .map(e -> e.getKey().yamlName() + "=" + e.getValue()).toList();
    }

    private static String kind(GatewayMetrics.CertKind kind) {
        return switch (kind) {
            case SERVER -> "server certificate";
            case CLIENT_CA -> "client CA";
            case CRL_NEXT_UPDATE -> "CRL next update";
        };
    }
}
