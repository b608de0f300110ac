package io.chartgate.decision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chartgate.config.ConfigLoader;
import io.chartgate.config.GatewayConfig;
import io.chartgate.identity.ClientIdentity;
import io.chartgate.identity.IdentityExtractor;
import io.chartgate.policy.Policy;
import io.chartgate.testing.TestPki;
import io.chartgate.tls.ClientTrust;
import io.chartgate.tls.TlsMaterial;
import io.chartgate.upstream.Router;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one decision the relay and {@code policy explain} share, step by step, without a server. */
class RequestDecisionTest {

    @TempDir
    static Path dir;

    private static GatewayConfig config;
    private static Ground ground;
    private static TestPki pki;
    private static TestPki.Issued bob;
    private static ClientTrust.Verification bobVerified;
    private static ClientIdentity bobIdentity;

    @BeforeAll
    static void configuration() throws Exception {
        pki = TestPki.create(dir, "Decision CA");
        pki.server("gateway").issue();
        bob = pki.client("bob").ou("engineering").issue();
        Files.createDirectories(dir.resolve("charts"));
        Path file = Files.writeString(dir.resolve("chartgate.yaml"), """
                server:
                  tls: { certFile: gateway.crt, keyFile: gateway.key, clientCaFile: ca.crt, clientAuth: optional }
                  limits: { maxBodyBytes: 1000 }
                routes:
                  - { name: museum, prefix: /, upstream: { type: http, url: "http://127.0.0.1:8080", rewriteIndexUrls: true } }
                  - { name: local, prefix: /local, upstream: { type: file, dir: charts } }
                  - { name: registry, prefix: /v2, upstream: { type: oci, url: "http://127.0.0.1:5000" } }
                policy:
                  rules:
                    - name: developers
                      match: { ou: engineering }
                      read: ["/**"]
                      write: ["/api/charts", "/local/**", "/v2/team/**"]
                  anonymous: { read: ["/index.yaml"] }
                """);
        config = new ConfigLoader(Map.of()).load(file);
        ClientTrust trust = TlsMaterial.clientTrust(config.server().tls(), Instant.now());
        ground = new Ground(new Router(config.routes()), Policy.compile(config.policy()), trust, true,
                config.server().limits().maxBodyBytes());
        bobVerified = trust.verify(List.of(bob.certificate()), Instant.now());
        bobIdentity = IdentityExtractor.fromCertificate(bob.certificate(), bobVerified.chain().anchor());
    }

    private static Verdict bob(String method, String target) {
        return bob(method, target, Framing.NONE, ground);
    }

    private static Verdict bob(String method, String target, Framing framing, Ground against) {
        return RequestDecision.decide(new Ask(bobIdentity, bobVerified, method, target, framing, Instant.now()), against);
    }

    private static Verdict.Refused refused(Verdict verdict) {
        return assertInstanceOf(Verdict.Refused.class, verdict);
    }

    @Test
    void anAllowedReadGoesToTheUpstreamBelowTheRoutePrefix() {
        Verdict.Allowed allowed = assertInstanceOf(Verdict.Allowed.class, bob("GET", "/charts/a%20b-1.0.0.tgz?x=1"));
        assertEquals(Verdict.Service.UPSTREAM, allowed.service());
        assertEquals("/charts/a b-1.0.0.tgz", allowed.upstreamPath());
        assertEquals("/charts/a%20b-1.0.0.tgz?x=1", allowed.upstreamTarget());
        assertEquals("developers", allowed.trail().decision().rule());
        assertEquals("allowed", allowed.trail().outcome());
    }

    @Test
    void anIndexFileOnARewritingRouteGoesToTheIndexStep() {
        assertEquals(Verdict.Service.INDEX, ((Verdict.Allowed) bob("GET", "/index.yaml")).service());
        assertEquals(Verdict.Service.INDEX, ((Verdict.Allowed) bob("HEAD", "/sub/index.yaml")).service());
        assertEquals(Verdict.Service.UPSTREAM, ((Verdict.Allowed) bob("POST", "/api/charts")).service(), "a write is forwarded");
    }

    @Test
    void framingIsRefusedBeforeThePathIsRead() {
        Verdict.Refused gzip = refused(bob("PUT", "/api/charts", new Framing(List.of(), List.of("gzip"), true, 10), ground));
        assertEquals(GatewayError.BAD_REQUEST, gzip.error());
        assertNull(gzip.trail().path());
        assertEquals("rejected", gzip.trail().outcome());
        Verdict.Refused te = refused(bob("PUT", "/api/charts", new Framing(List.of("gzip, chunked"), List.of(), true, -1), ground));
        assertTrue(te.message().startsWith("unsupported Transfer-Encoding"), te.message());
        Verdict.Refused large = refused(bob("PUT", "/api/charts", new Framing(List.of(), List.of(), true, 1001), ground));
        assertEquals(GatewayError.PAYLOAD_TOO_LARGE, large.error());
        assertEquals("allowed", large.trail().outcome(), "the size is judged after the policy allowed it");
    }

    @Test
    void aRejectedPathOnARegistryRouteIsSaidTheRegistrysWay() {
        Verdict.Refused dots = refused(bob("GET", "/v2/team/../x/manifests/1"));
        assertTrue(dots.trail().oci());
        assertEquals("UNSUPPORTED", dots.code());
        assertEquals("bad_request", refused(bob("GET", "/charts/../x.tgz")).code());
    }

    @Test
    void aCertificateRevokedSinceTheConnectionOpenedIsRefusedOnItsNextRequest() throws Exception {
        pki.revoke(bob);
        GatewayConfig withCrl = new ConfigLoader(Map.of()).load(Files.writeString(dir.resolve("crl.yaml"),
                Files.readString(dir.resolve("chartgate.yaml")).replace("clientAuth: optional",
                        "clientAuth: optional, crlFiles: [" + pki.crlFile() + "]")));
        Ground revoked = new Ground(ground.router(), ground.policy(), TlsMaterial.clientTrust(withCrl.server().tls(), Instant.now()),
                true, 1000);
        Verdict.Refused refused = refused(bob("GET", "/charts/x.tgz", Framing.NONE, revoked));
        assertEquals(GatewayError.CERTIFICATE_REVOKED, refused.error());
        assertNull(refused.trail().route(), "refused before the route");
    }

    @Test
    void aMethodThatIsNeitherAReadNorAWriteNamesTheOnesThatAre() {
        Verdict.Refused options = refused(bob("OPTIONS", "/charts/x.tgz"));
        assertEquals(GatewayError.METHOD_NOT_ALLOWED, options.error());
        assertEquals(RequestDecision.ALL_METHODS, options.allow());
    }

    @Test
    void aWriteToAFileRouteIsRefusedAfterThePolicyAllowedIt() {
        Verdict.Refused write = refused(bob("PUT", "/local/x.tgz"));
        assertEquals(GatewayError.METHOD_NOT_ALLOWED, write.error());
        assertEquals("GET, HEAD", write.allow());
        assertEquals("route local is a read-only file upstream", write.message());
    }

    @Test
    void anonymousCallersAreAskedForACertificateWhenThePolicyDeniesThem() {
        Verdict verdict = RequestDecision.decide(new Ask(ClientIdentity.ANONYMOUS, null, "GET", "/charts/x.tgz", Framing.NONE,
                Instant.now()), ground);
        assertEquals(GatewayError.CERTIFICATE_REQUIRED, refused(verdict).error());
        assertEquals("denied", verdict.trail().outcome());
        Verdict required = RequestDecision.decide(new Ask(ClientIdentity.ANONYMOUS, null, "GET", "/index.yaml", Framing.NONE,
                Instant.now()), new Ground(ground.router(), ground.policy(), ground.trust(), false, 1000));
        assertEquals("a client certificate is required", refused(required).message());
    }

    @Test
    void registryRequestsAreDecidedOnTheirRepository() {
        assertEquals(Verdict.Service.CATALOG, ((Verdict.Allowed) bob("GET", "/v2/_catalog?n=5")).service());
        assertEquals(Verdict.Service.INDEX, ((Verdict.Allowed) bob("GET", "/v2/team/index.yaml")).service());
        Verdict.Allowed ping = (Verdict.Allowed) bob("GET", "/v2/");
        assertEquals(RequestDecision.OCI_PING_RULE, ping.trail().decision().rule());
        Verdict.Allowed manifest = (Verdict.Allowed) bob("GET", "/v2/team/app/manifests/1.0.0");
        assertEquals("/v2/team/app/manifests/1.0.0", manifest.upstreamPath(), "a registry gets the whole path");
        assertEquals("team/app", manifest.trail().registryRequest().repository());
    }

    @Test
    void aMountFromARepositoryTheCallerMayReadIsKeptAndOtherwiseTakenOut() {
        Verdict.Allowed kept = (Verdict.Allowed) bob("POST", "/v2/team/app/blobs/uploads/?mount=sha256:"
                + "a".repeat(64) + "&from=team/other");
        assertTrue(kept.trail().mountKept());
        assertTrue(kept.upstreamTarget().contains("mount="), kept.upstreamTarget());
        ClientIdentity reader = bobIdentity;
        Ground narrow = new Ground(ground.router(), ground.policy(), ground.trust(), true, 1000);
        Verdict.Allowed dropped = (Verdict.Allowed) RequestDecision.decide(new Ask(reader, bobVerified, "POST",
                "/v2/team/app/blobs/uploads/?mount=sha256:" + "a".repeat(64), Framing.NONE, Instant.now()), narrow);
        assertEquals(false, dropped.trail().mountKept(), "a mount without from names no source the caller may read");
        assertEquals("/v2/team/app/blobs/uploads/", dropped.upstreamTarget());
    }
}
