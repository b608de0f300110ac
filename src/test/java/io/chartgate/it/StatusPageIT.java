package io.chartgate.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.chartgate.helm.SampleRepository;
import io.chartgate.testing.Chromium;
import io.chartgate.testing.GatewayHarness;
import io.chartgate.testing.TestPki;
import io.chartgate.testing.TlsClients;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The status page on the admin port, loaded by a real browser after real traffic: headless Chromium renders
 * {@code GET /} and the DOM it built is checked (routes and their readiness, the denial that just happened, a
 * certificate that expires in 5 days in the danger colour and one in 20 days in the warning colour, a
 * {@code <script>} CN shown as text), a screenshot is saved as {@code target/status-page.png}, and
 * {@code GET /status.json} is parsed. Neither holds a secret: no upstream password or key, no query string.
 */
class StatusPageIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient PLAIN = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static final String SCRIPT_CN = "<script>alert(1)</script>";
    private static final List<String> SECRETS = List.of("hunter2-status-page", "AKIASTATUSPAGETEST", "s3cr3t-status-page",
            "sekrit-query-value");
    static final Path SCREENSHOT = Path.of("target/status-page.png");

    @TempDir
    static Path dir;

    private static GatewayHarness gateway;
    private static String dom;
    private static JsonNode json;
    private static HttpResponse<String> page;

    @BeforeAll
    static void trafficThenLoadThePage() throws Exception {
        TestPki pki = TestPki.create(dir, "Status CA");
        pki.server("localhost").expiresIn(Duration.ofDays(365)).issue();
        pki.writeCrl(Instant.now().plus(Duration.ofDays(20)));
        TestPki.Issued reader = pki.client("reader").ou("engineering").expiresIn(Duration.ofDays(200)).issue();
        TestPki.Issued outsider = pki.client("outsider").ou("marketing").expiresIn(Duration.ofDays(200)).issue();
        TestPki.Issued soon = pki.client("soon").ou("engineering").expiresIn(Duration.ofDays(5)).issue();
        TestPki.Issued later = pki.client("later").ou("engineering").expiresIn(Duration.ofDays(20)).issue();
        TestPki.Issued script = pki.client(SCRIPT_CN).ou("marketing").expiresIn(Duration.ofDays(200)).fileName("script").issue();
        SampleRepository.write(dir.resolve("charts"));
        int closed;
        try (ServerSocket socket = new ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        gateway = GatewayHarness.start(dir, """
                server:
                  host: 127.0.0.1
                  port: 0
                  tls: { certFile: localhost.crt, keyFile: localhost.key, clientCaFile: ca.crt, crlFiles: [ca.crl] }
                admin: { port: 0 }
                routes:
                  - { name: charts, prefix: /charts, upstream: { type: file, dir: charts } }
                  - name: museum
                    prefix: /museum
                    upstream: { type: http, url: "http://127.0.0.1:%1$d/base", connectTimeoutMs: 300,
                                auth: { basic: { username: gw, password: hunter2-status-page } } }
                  - name: bucket
                    prefix: /s3
                    upstream: { type: s3, endpoint: "http://127.0.0.1:%1$d", bucket: charts, region: eu-west-1,
                                pathStyle: true, accessKeyId: AKIASTATUSPAGETEST, secretAccessKey: s3cr3t-status-page,
                                connectTimeoutMs: 300 }
                policy:
                  rules:
                    - { name: engineering, match: { ou: engineering }, read: ["/**"], write: ["/charts/**"] }
                    - { name: release-bot, match: { cn: ci-release, o: chartgate }, write: ["/museum/api/charts"] }
                  anonymous: { read: [] }
                """.formatted(closed));
        // a reload (nothing changed) so the page has one to show
        assertEquals(List.of(), gateway.reload());
        send(reader, "/charts/index.yaml", 200);
        send(soon, "/charts/index.yaml", 200);
        send(later, "/charts/hello-0.2.0.tgz", 200);
        send(outsider, "/charts/index.yaml?token=sekrit-query-value", 403);
        send(script, "/charts/hello-0.2.0.tgz", 403);

        // the probe runs at once after the reload; the denials are recorded as their responses end
        json = statusJson(s -> s.get("denials").size() == 2
                && StreamSupport.stream(s.get("routes").spliterator(), false)
                        .noneMatch(r -> r.get("readiness").asText().equals("not probed yet")));
        page = PLAIN.send(HttpRequest.newBuilder(admin("/")).build(), HttpResponse.BodyHandlers.ofString());
        Chromium chromium = Chromium.in(dir);
        dom = chromium.dumpDom(admin("/").toString());
        chromium.screenshot(admin("/").toString(), SCREENSHOT, 1280, 1600);
    }

    @AfterAll
    static void stop() {
        if (gateway != null) {
            gateway.close();
        }
    }

    private static URI admin(String path) {
        return URI.create("http://127.0.0.1:" + gateway.adminPort() + path);
    }

    private static void send(TestPki.Issued client, String path, int expected) throws Exception {
        HttpResponse<Void> response = TlsClients.http(TlsClients.context(client, dir.resolve("ca.crt")))
                .send(HttpRequest.newBuilder(URI.create(gateway.url(path))).build(), HttpResponse.BodyHandlers.discarding());
        assertEquals(expected, response.statusCode(), path);
    }

    private static JsonNode statusJson(Predicate<JsonNode> until) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        JsonNode last;
        do {
            HttpResponse<String> response = PLAIN.send(HttpRequest.newBuilder(admin("/status.json")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode(), response.body());
            assertEquals("application/json", response.headers().firstValue("Content-Type").orElse(""));
            last = JSON.readTree(response.body());
            if (until.test(last)) {
                return last;
            }
            LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
        } while (System.nanoTime() < deadline);
        return last;
    }

    /** The opening tag of the row whose {@code attribute} is {@code value}, as the browser's DOM has it. */
    private static String row(String attribute, String value) {
        Matcher m = Pattern.compile("<tr [^>]*" + attribute + "=\"" + Pattern.quote(value) + "\"[^>]*>").matcher(dom);
        assertTrue(m.find(), () -> "no row with " + attribute + "=" + value + " in the DOM:\n" + dom);
        return m.group();
    }

    /** The text of the section with this id, tags removed. */
    private static String section(String id) {
        Matcher m = Pattern.compile("<section id=\"" + id + "\">(.*?)</section>", Pattern.DOTALL).matcher(dom);
        assertTrue(m.find(), () -> "no section " + id + " in the DOM:\n" + dom);
        return m.group(1).replaceAll("<[^>]+>", " ").replaceAll("\\s+", " ");
    }

    @Test
    void theBrowserShowsEveryRouteWithItsReadiness() {
        assertTrue(row("data-route", "charts").contains("class=\"route ready\""), row("data-route", "charts"));
        assertTrue(row("data-route", "museum").contains("class=\"route not-ready\""), row("data-route", "museum"));
        assertTrue(row("data-route", "bucket").contains("class=\"route not-ready\""), row("data-route", "bucket"));
        String routes = section("routes");
        assertTrue(routes.contains("http://127.0.0.1:") && routes.contains("/base"), routes);
        assertTrue(routes.contains("s3://charts/ at http://127.0.0.1:"), routes);
    }

    @Test
    void theDenialThatJustHappenedIsListedWithItsReasonAndWithoutItsQuery() {
        String denials = section("denials");
        assertTrue(denials.contains("outsider GET /charts/index.yaml 403 outsider may not read /charts/index.yaml"), denials);
        assertFalse(denials.contains("token"), denials);
    }

    @Test
    void aCertificateExpiringInFiveDaysIsInTheDangerColourAndInTwentyInTheWarningColour() {
        assertTrue(row("data-principal", "soon").contains("level-danger"), row("data-principal", "soon"));
        assertTrue(row("data-principal", "later").contains("level-warning"), row("data-principal", "later"));
        assertTrue(row("data-principal", "reader").contains("level-ok"), row("data-principal", "reader"));
        Matcher crl = Pattern.compile("<tr class=\"expiry (level-[a-z]+)\"><td>CRL next update</td>").matcher(dom);
        assertTrue(crl.find(), dom);
        assertEquals("level-warning", crl.group(1), "the CRL's nextUpdate is 20 days away");
    }

    @Test
    void aScriptInACertificateNameIsShownAsTextAndNeverRuns() {
        // attribute values may hold the text too (serialized as the browser likes); outside them, no script element
        String markup = dom.replaceAll("=\"[^\"]*\"", "=\"\"");
        assertFalse(markup.toLowerCase(Locale.ROOT).contains("<script"), dom);
        assertTrue(dom.contains("<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>"), dom);
        assertTrue(section("denials").contains("&lt;script&gt;alert(1)&lt;/script&gt; may not read /charts/hello-0.2.0.tgz"),
                section("denials"));
        assertTrue(page.headers().firstValue("Content-Security-Policy").orElse("").startsWith("default-src 'none'"));
        assertEquals("text/html; charset=utf-8", page.headers().firstValue("Content-Type").orElse(""));
    }

    @Test
    void thePolicyAndTheLastReloadAreShown() {
        assertTrue(row("data-rule", "release-bot").contains("class=\"rule\""));
        String policy = section("policy");
        assertTrue(policy.contains("release-bot cn=ci-release o=chartgate /museum/api/charts"), policy);
        assertTrue(policy.contains("engineering ou=engineering /** /charts/**"), policy);
        String reload = section("reload");
        assertTrue(reload.contains("test success"), reload);
        assertTrue(dom.contains("<a id=\"refresh\" href=\"/\">Refresh</a>"), dom);
    }

    @Test
    void neitherThePageNorTheJsonHoldsASecret() {
        for (String secret : SECRETS) {
            assertFalse(page.body().contains(secret), secret + " in the page");
            assertFalse(json.toString().contains(secret), secret + " in status.json");
        }
    }

    @Test
    void theJsonHoldsTheSameFacts() {
        assertEquals(List.of("charts", "museum", "bucket"),
                StreamSupport.stream(json.get("routes").spliterator(), false).map(r -> r.get("name").asText()).toList());
        assertEquals("ready", json.get("routes").get(0).get("readiness").asText());
        JsonNode museum = json.get("routes").get(1);
        assertEquals("not ready", museum.get("readiness").asText());
        assertTrue(!museum.get("error").isNull() && !museum.get("lastProbe").isNull(), museum::toString);
        JsonNode newest = json.get("denials").get(0);
        assertEquals(SCRIPT_CN, newest.get("principal").asText());
        JsonNode outsider = json.get("denials").get(1);
        assertEquals("/charts/index.yaml", outsider.get("path").asText());
        assertEquals("GET", outsider.get("method").asText());
        assertEquals(403, outsider.get("status").asInt());
        JsonNode soon = principal("soon");
        assertEquals("danger", soon.get("level").asText());
        assertTrue(soon.get("daysLeft").asInt() == 4 || soon.get("daysLeft").asInt() == 5, soon::toString);
        assertEquals("allowed", soon.get("lastDecision").asText());
        assertEquals("warning", principal("later").get("level").asText());
        assertEquals("denied", principal("outsider").get("lastDecision").asText());
        assertEquals("test", json.get("lastReload").get("trigger").asText());
        assertEquals("success", json.get("lastReload").get("result").asText());
        assertEquals("ou=engineering", json.get("policy").get("rules").get(0).get("match").get(0).asText());
        assertTrue(StreamSupport.stream(json.get("expiries").spliterator(), false)
                .anyMatch(e -> e.get("kind").asText().equals("server certificate") && e.get("level").asText().equals("ok")));
    }

    private static JsonNode principal(String name) {
        return StreamSupport.stream(json.get("principals").spliterator(), false)
                .filter(p -> p.get("principal").asText().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no principal " + name + " in " + json));
    }

    @Test
    void aScreenshotOfThePageIsSaved() throws Exception {
        assertTrue(Files.size(SCREENSHOT) > 20_000, "a rendered page, not a blank one: " + Files.size(SCREENSHOT));
        byte[] header = new byte[8];
        try (var in = Files.newInputStream(SCREENSHOT)) {
            assertEquals(8, in.read(header));
        }
        assertEquals("\u0089PNG", new String(header, 0, 4, java.nio.charset.StandardCharsets.ISO_8859_1));
    }
}
