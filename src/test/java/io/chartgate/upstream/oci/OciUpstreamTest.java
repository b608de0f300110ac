package io.chartgate.upstream.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.chartgate.config.OciUpstreamConfig;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import java.net.URI;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class OciUpstreamTest {

    private static Vertx vertx;
    private static OciUpstream upstream;

    @BeforeAll
    static void create() {
        vertx = Vertx.vertx();
        upstream = new OciUpstream(vertx, new OciUpstreamConfig(URI.create("http://registry:5000"), null, null, 1000, 1000));
    }

    @AfterAll
    static void close() {
        upstream.close();
        vertx.close();
    }

    @Test
    void theRegistrysOwnUrlsBecomeGatewayPathsWithTheQueryByteForByte() {
        assertEquals("/v2/a/blobs/uploads/u?_state=x%3D%3D", upstream.local("http://registry:5000/v2/a/blobs/uploads/u?_state=x%3D%3D"));
        assertEquals("/other", upstream.local("HTTP://Registry:5000/other"));
        // a registry that builds URLs from X-Forwarded-Host or its configured public name: still the API
        assertEquals("/v2/a/blobs/x", upstream.local("https://public.example/v2/a/blobs/x"));
        // a storage redirect elsewhere stays what it is; relative URLs too
        assertEquals("https://bucket.s3.example/blob?sig=1", upstream.local("https://bucket.s3.example/blob?sig=1"));
        assertEquals("/v2/x", upstream.local("/v2/x"));
    }

    @Test
    void linksAreRewrittenAndChallengesDropped() {
        MultiMap headers = MultiMap.caseInsensitiveMultiMap()
                .add("Link", "<http://registry:5000/v2/a/tags/list?last=b&n=1>; rel=\"next\"")
                .add("WWW-Authenticate", "Basic realm=x")
                .add("Location", "http://registry:5000/v2/a/blobs/uploads/u?_state=s");
        upstream.pointAtGateway(headers);
        assertEquals("</v2/a/tags/list?last=b&n=1>; rel=\"next\"", headers.get("Link"));
        assertEquals("/v2/a/blobs/uploads/u?_state=s", headers.get("Location"));
        assertFalse(headers.contains("WWW-Authenticate"));
    }
}
