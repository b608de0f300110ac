package io.chartgate.it;

import static io.chartgate.testing.OciGateway.sha256;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chartgate.testing.GatewayHarness;
import io.chartgate.testing.HelmCli;
import io.chartgate.testing.OciGateway;
import io.chartgate.testing.RegistryServer;
import io.chartgate.testing.Resources;
import io.chartgate.testing.TestPki;
import io.chartgate.testing.TlsClients;
import io.chartgate.testing.TokenServer;
import io.chartgate.tls.PemLoader;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The bearer-token flow against a real registry: Debian's {@code docker-registry} with {@code auth.token}, whose
 * realm is {@link TokenServer}, an in-process fake standing in for the auth service (no package provides one; it
 * signs RS256 JWTs with a key certified by the registry's {@code rootcertbundle}). helm 3 and 4 push and pull
 * through the gateway with only their TLS flags; the gateway alone talks to the realm, with its basic credentials,
 * once per scope while the token lives; clients never see a challenge.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OciTokenIT {

    private static final String SERVICE = "chartgate-test-registry";
    private static final String ISSUER = "chartgate-test-issuer";
    private static final String PASSWORD = "token-realm-pw";

    @TempDir
    static Path dir;

    private static TestPki pki;
    private static TokenServer tokens;
    private static RegistryServer registry;
    private static OciGateway oci;
    private static GatewayHarness gateway;
    private static TestPki.Issued pusher;
    private static Path demo;

    @BeforeAll
    static void start() throws Exception {
        String host = OciGateway.loopbackHostName();
        pki = OciGateway.pki(dir, "OCI token IT CA", host);
        pusher = pki.client("pusher").ou("team-a").issue();
        TestPki.Issued signer = pki.client("token-signer").rsa().fileName("token-signer").issue();
        tokens = TokenServer.start(SERVICE, ISSUER, PemLoader.privateKey(signer.keyFile(), null), signer.certificate(),
                "gateway", PASSWORD, 300);
        registry = RegistryServer.startWithTokenAuth(dir.resolve("registry"), tokens.realm(), SERVICE, ISSUER, pki.caFile());
        oci = OciGateway.start(dir, host, pki, null, """
                routes:
                  - name: registry
                    prefix: /v2
                    upstream: { type: oci, url: "%s", auth: { basic: { username: gateway, password: %s } } }
                policy:
                  rules:
                    - { name: team-a, match: { ou: team-a }, write: ["/v2/charts/team-a/**"] }
                """.formatted(registry.url(), PASSWORD));
        gateway = oci.gateway();
        HelmCli helm = HelmCli.of("4", dir.resolve("home-make"));
        Path charts = Files.createDirectories(dir.resolve("charts"));
        assertTrue(helm.run(charts, "create", "demo").ok());
        assertTrue(helm.run(charts, "package", "demo").ok());
        demo = charts.resolve("demo-0.1.0.tgz");
    }

    @AfterAll
    static void stop() {
        Resources.closeAll(oci, registry, tokens);
    }

    private static HttpResponse<String> get(String path) throws Exception {
        HttpClient client = TlsClients.http(TlsClients.context(pusher, pki.caFile()));
        return client.send(HttpRequest.newBuilder(URI.create(gateway.url(path))).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Order(1)
    @ParameterizedTest(name = "helm {0}")
    @ValueSource(strings = {"3", "4"})
    void helmPushesAndPullsThroughTheGatewayToATokenAuthRegistry(String major) throws Exception {
        HelmCli helm = HelmCli.of(major, dir.resolve("home-" + major));
        String repository = "charts/team-a/h" + major;
        HelmCli.Result push = helm.run(dir, oci.tls(pusher, "push", demo.toString(), oci.reference(repository)));
        assertTrue(push.ok(), push::toString);
        Path pulled = Files.createDirectories(dir.resolve("pulled-" + major));
        HelmCli.Result pull = helm.run(pulled, oci.tls(pusher, "pull", oci.reference(repository) + "/demo", "--version", "0.1.0"));
        assertTrue(pull.ok(), pull::toString);
        assertEquals(sha256(demo), sha256(pulled.resolve("demo-0.1.0.tgz")));
        HelmCli.Result latest = helm.run(dir, oci.tls(pusher, "show", "chart", oci.reference(repository) + "/demo"));
        assertTrue(latest.ok() && latest.output().contains("name: demo"), latest::toString);
    }

    @Order(2)
    @Test
    void theGatewayFetchesOneTokenPerScopeWithItsOwnCredentials() {
        List<TokenServer.Request> asked = tokens.requests();
        String basic = "Basic " + Base64.getEncoder().encodeToString(("gateway:" + PASSWORD).getBytes(StandardCharsets.UTF_8));
        Set<List<String>> scopes = new HashSet<>();
        for (TokenServer.Request request : asked) {
            assertEquals(basic, request.authorization(), "a token request that is not the gateway's: " + request);
            assertEquals(200, request.status(), request::toString);
            assertTrue(scopes.add(request.scopes()), () -> "asked twice for " + request.scopes() + ": " + asked);
        }
        assertTrue(scopes.contains(List.of("repository:charts/team-a/h4/demo:pull,push")), asked::toString);
        assertTrue(scopes.contains(List.of("repository:charts/team-a/h3/demo:pull")), asked::toString);
        long answered = registry.received().stream().filter(r -> r.status() < 400).count();
        assertTrue(answered > 2L * asked.size(), () -> answered + " registry answers for " + asked.size() + " tokens");
    }

    @Order(3)
    @Test
    void clientsNeverSeeTheRegistrysChallenge() throws Exception {
        for (String path : List.of("/v2/", "/v2/charts/team-a/h4/demo/tags/list")) {
            HttpResponse<String> answer = get(path);
            assertEquals(200, answer.statusCode(), answer::body);
            assertTrue(answer.headers().firstValue("WWW-Authenticate").isEmpty(), answer.headers()::toString);
        }
        // the registry did challenge the gateway (its first, unauthenticated GET /v2/)
        assertTrue(registry.logText().contains("error authorizing context: authorization token required"), registry::logText);
    }

    @Order(4)
    @Test
    void theIndexIsMadeWithATokenForTheCatalog() throws Exception {
        HttpResponse<String> index = get("/v2/charts/index.yaml");
        assertEquals(200, index.statusCode(), index::body);
        assertTrue(new JsonObject(index.body()).getJsonObject("entries").containsKey("demo"), index::body);
        assertTrue(tokens.requests().stream().anyMatch(r -> r.scopes().equals(List.of("registry:catalog:*"))));
    }
}
