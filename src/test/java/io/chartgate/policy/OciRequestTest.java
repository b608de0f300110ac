package io.chartgate.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chartgate.config.ConfigLoader;
import io.chartgate.identity.ClientIdentity;
import io.chartgate.identity.IdentityExtractor;
import io.chartgate.tls.CertificateAuthority;
import io.chartgate.tls.CertificateRequest;
import io.chartgate.tls.KeyType;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class OciRequestTest {

    private static final String D = "sha256:" + "a".repeat(64);

    private static OciRequest.Result parse(String method, String target) {
        CanonicalPath.Result canonical = CanonicalPath.parse(target);
        assertInstanceOf(CanonicalPath.Canonical.class, canonical, target);
        return OciRequest.parse(method, ((CanonicalPath.Canonical) canonical).path());
    }

    private static OciRequest parsed(String method, String target) {
        OciRequest.Result result = parse(method, target);
        assertInstanceOf(OciRequest.Parsed.class, result, () -> target + " -> " + result);
        return ((OciRequest.Parsed) result).request();
    }

    @ParameterizedTest(name = "{0} {1} -> {2} {3} {4}")
    @CsvSource({
        "GET,    /v2/charts/team-a/demo/manifests/0.1.0,           MANIFEST, charts/team-a/demo,  READ",
        "HEAD,   /v2/charts/team-a/demo/manifests/" + "sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
                + ", MANIFEST, charts/team-a/demo, READ",
        "PUT,    /v2/charts/team-a/demo/manifests/0.2.0_build.7,   MANIFEST, charts/team-a/demo,  WRITE",
        "DELETE, /v2/a/manifests/latest,                           MANIFEST, a,                   WRITE",
        "GET,    /v2/a/b/c/d/tags/list,                            TAGS,     a/b/c/d,             READ",
        "POST,   /v2/charts/demo/blobs/uploads/,                   UPLOAD,   charts/demo,         WRITE",
        "PATCH,  /v2/charts/demo/blobs/uploads/0b0c-ef12,          UPLOAD,   charts/demo,         WRITE",
        "GET,    /v2/charts/demo/blobs/uploads/0b0c-ef12,          UPLOAD,   charts/demo,         WRITE",
        "PUT,    /v2/charts/demo/blobs/uploads/0b0c-ef12?_state=x&digest=" + "sha256:" + "aa"
                + ", UPLOAD, charts/demo, WRITE",
        // a name may itself hold the endpoints' words: the endpoint is the suffix at the end
        "GET,    /v2/foo/manifests/bar/manifests/1.0,              MANIFEST, foo/manifests/bar,   READ",
        "GET,    /v2/x/blobs/uploads/tags/list,                    TAGS,     x/blobs/uploads,     READ",
        "POST,   /v2/x/blobs/uploads/blobs/uploads/,               UPLOAD,   x/blobs/uploads,     WRITE",
        "GET,    /v2/x/tags/list/manifests/v1,                     MANIFEST, x/tags/list,         READ",
        "GET,    /v2/my-org/my__chart.v2/manifests/1,              MANIFEST, my-org/my__chart.v2, READ",
    })
    void readsTheRepositoryAndTheAccess(String method, String target, OciRequest.Endpoint endpoint, String repository,
            Access access) {
        OciRequest request = parsed(method, target);
        assertEquals(endpoint, request.endpoint());
        assertEquals(repository, request.repository());
        assertEquals(access, request.access());
        assertEquals("/v2/" + repository, request.policyPath().path());
    }

    @Test
    void blobsByDigestAreReadsAndTheirDeletionAWrite() {
        assertEquals(Access.READ, parsed("HEAD", "/v2/x/blobs/" + D).access());
        assertEquals(Access.WRITE, parsed("DELETE", "/v2/x/blobs/" + D).access());
        assertEquals("x/blobs/y", parsed("GET", "/v2/x/blobs/y/blobs/" + D).repository());
        assertEquals(OciRequest.Endpoint.REFERRERS, parsed("GET", "/v2/x/referrers/" + D).endpoint());
    }

    @Test
    void thePingAndTheCatalogCarryNoRepository() {
        assertEquals(OciRequest.Endpoint.PING, parsed("GET", "/v2/").endpoint());
        assertEquals(OciRequest.Endpoint.PING, parsed("HEAD", "/v2").endpoint());
        assertNull(parsed("GET", "/v2/").repository());
        assertEquals(OciRequest.Endpoint.CATALOG, parsed("GET", "/v2/_catalog?n=3").endpoint());
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
        "GET,  /v2/Charts/demo/tags/list",
        "GET,  /v2/charts/demo/tags/list/",
        "GET,  /v2/charts/demo/manifests/0.1.0/",
        "GET,  /v2/charts/demo/index.json",
        "GET,  /v2/Charts/index.yaml",
        "GET,  /v2/x/_chart/sha256:abc/x-1.tgz",
        "GET,  /v2/x/_chart/" + "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/x-1.zip",
        "GET,  /v2/_chart/" + "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/x-1.tgz",
        "GET,  /v2/charts/demo",
        "GET,  /v2/charts/demo/blobs/sha256:abc",
        "GET,  /v2/charts/demo/blobs/uploads/sha256:abc",
        "GET,  /v2/-x/tags/list",
        "GET,  /v2/x-/tags/list",
        "GET,  /v2/a..b/tags/list",
        "GET,  /v2/_catalog/x",
        "GET,  /v3/x/tags/list",
        "GET,  /v2/x/manifests/.hidden",
    })
    void refusesAnythingOutsideTheGrammar(String method, String target) {
        OciRequest.Result result = parse(method, target);
        OciRequest.Refused refused = assertInstanceOf(OciRequest.Refused.class, result, target);
        assertEquals(400, refused.status());
        assertEquals("NAME_INVALID", refused.code());
    }

    @Test
    void theSynthesizedIndexNamesItsNamespaceAndItsChartFilesTheirRepository() {
        OciRequest all = parsed("GET", "/v2/index.yaml");
        assertEquals(OciRequest.Endpoint.INDEX, all.endpoint());
        assertNull(all.repository());
        assertEquals("charts/team-a", parsed("HEAD", "/v2/charts/team-a/index.yaml").repository());
        OciRequest chart = parsed("GET", "/v2/charts/team-a/demo/_chart/" + D + "/demo-0.1.0+build.7.tgz");
        assertEquals(OciRequest.Endpoint.CHART, chart.endpoint());
        assertEquals("charts/team-a/demo", chart.repository());
        assertEquals(Access.READ, chart.access());
        assertEquals(OciRequest.Endpoint.CHART, parsed("HEAD", "/v2/x/_chart/" + D + "/x-1.tgz.prov").endpoint());
        // a repository may be called index.yaml: its API paths are still the API's
        assertEquals("x/index.yaml", parsed("GET", "/v2/x/index.yaml/tags/list").repository());
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
        "PUT,    /v2/charts/index.yaml",
        "DELETE, /v2/x/_chart/" + "sha256:" + "0000000000000000000000000000000000000000000000000000000000000000" + "/x-1.tgz",
        "POST,   /v2/x/manifests/1",
        "PATCH,  /v2/x/manifests/1",
        "PUT,    /v2/x/tags/list",
        "PUT,    /v2/x/blobs/" + "sha256:" + "0000000000000000000000000000000000000000000000000000000000000000",
        "GET,    /v2/x/blobs/uploads/",
        "POST,   /v2/",
        "DELETE, /v2/_catalog",
        "OPTIONS, /v2/x/tags/list",
    })
    void refusesAMethodTheEndpointDoesNotTake(String method, String target) {
        OciRequest.Refused refused = assertInstanceOf(OciRequest.Refused.class, parse(method, target));
        assertEquals(405, refused.status());
        assertEquals("UNSUPPORTED", refused.code());
    }

    @ParameterizedTest
    @ValueSource(strings = {"/v2/charts%2Fteam-a/demo/tags/list", "/v2/charts/%74eam-a/demo/tags/list",
        "/v2/charts/team-a/demo/manifests/0.1.0%00", "/v2/%2e%2e/x/tags/list"})
    void refusesEveryPercentEncodingInThePath(String target) {
        assertNotNull(OciRequest.rawPathProblem(target));
    }

    @Test
    void aQueryMayHoldPercentEncoding() {
        assertNull(OciRequest.rawPathProblem("/v2/x/blobs/uploads/u?_state=ab%3D%3D&digest=sha256%3Aaa"));
    }

    @Test
    void encodedSlashesAndDotSegmentsNeverReachTheGrammar() {
        assertInstanceOf(CanonicalPath.Rejected.class, CanonicalPath.parse("/v2/charts%2Fteam-a/demo/tags/list"));
        assertInstanceOf(CanonicalPath.Rejected.class, CanonicalPath.parse("/v2/other/../charts/demo/tags/list"));
        assertInstanceOf(CanonicalPath.Rejected.class, CanonicalPath.parse("/v2/other/%2e%2e/charts/demo/tags/list"));
    }

    @Test
    void aMountNamesItsSourcesAndCanBeDroppedLeavingTheRestByteForByte() {
        OciRequest.Mount mount = OciRequest.mount("mount=" + D + "&from=secret%2Fdemo&x=%41+b");
        assertEquals(List.of("secret/demo"), mount.sources());
        assertEquals("x=%41+b", mount.withoutMount());
        assertNull(OciRequest.mount("digest=" + D));
        assertNull(OciRequest.mount(null));
        // keys are decoded as the registry decodes them
        assertEquals(List.of("a/b"), OciRequest.mount("fr%6Fm=a/b&m%6Funt=x").sources());
        assertNull(OciRequest.mount("fr%6Fm=a/b&m%6Funt=x").withoutMount());
        // a mount without a source (some registries then search every repository) is a mount too
        assertEquals(List.of(), OciRequest.mount("mount=" + D).sources());
    }

    @Test
    void writeImpliesReadOnTheSameRepositoryOnly() throws Exception {
        Policy policy = Policy.compile(new ConfigLoader(Map.of()).parse("""
                server: { tls: { certFile: a, keyFile: b, clientCaFile: c } }
                routes: [{ name: r, prefix: /v2, upstream: { type: oci, url: "http://registry:5000" } }]
                policy:
                  rules:
                    - { name: team-a, match: { ou: team-a }, write: ["/v2/charts/team-a/**"] }
                    - { name: readers, match: { ou: readers }, read: ["/v2/charts/**"] }
                """, null).policy());
        CertificateAuthority ca = CertificateAuthority.create("Test CA", KeyType.EC_P256, Instant.now().plusSeconds(86_400));
        ClientIdentity pusher = IdentityExtractor.fromCertificate(
                ca.issue(CertificateRequest.client("pusher", 1).withOu("team-a")).certificate(), ca.certificate());
        ClientIdentity reader = IdentityExtractor.fromCertificate(
                ca.issue(CertificateRequest.client("reader", 1).withOu("readers")).certificate(), ca.certificate());

        Decision head = policy.decide(pusher, parsed("HEAD", "/v2/charts/team-a/demo/blobs/" + D));
        assertTrue(head.allowed());
        assertEquals("team-a", head.rule());
        assertTrue(policy.decide(pusher, parsed("PUT", "/v2/charts/team-a/demo/manifests/0.1.0")).allowed());
        assertFalse(policy.decide(pusher, parsed("GET", "/v2/charts/team-b/demo/manifests/0.1.0")).allowed());
        assertFalse(policy.decide(pusher, parsed("GET", "/v2/charts/team-a-evil/manifests/1")).allowed());
        assertTrue(policy.decide(reader, parsed("GET", "/v2/charts/team-b/demo/manifests/0.1.0")).allowed());
        Decision push = policy.decide(reader, parsed("POST", "/v2/charts/team-b/demo/blobs/uploads/"));
        assertFalse(push.allowed());
        assertEquals("reader may not write /v2/charts/team-b/demo", push.reason());
        // the repository, not the path: a name holding "manifests" is judged as that name
        assertFalse(policy.decide(pusher, parsed("PUT", "/v2/charts/team-b/manifests/x/manifests/1")).allowed());
        assertTrue(policy.mayPull(pusher, "charts/team-a/src"));
        assertFalse(policy.mayPull(pusher, "secret/demo"));
        assertFalse(policy.mayPull(pusher, "charts/team-a/../secret"));
    }
}
