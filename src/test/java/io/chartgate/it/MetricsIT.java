package io.chartgate.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chartgate.helm.SampleRepository;
import io.chartgate.testing.GatewayHarness;
import io.chartgate.testing.HelmCli;
import io.chartgate.testing.Openssl;
import io.chartgate.testing.Promtool;
import io.chartgate.testing.TestPki;
import io.chartgate.testing.TlsClients;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The metrics contract on a real scrape after traffic of every kind, checked by Prometheus' own promtool:
 * requests by decision, handshakes by reason (real certificates, and a TLS 1.1 attempt), expiry gauges,
 * per-principal counters.
 */
class MetricsIT {

    @TempDir
    static Path dir;

    private static GatewayHarness gateway;
    private static String scrape;

    @BeforeAll
    static void trafficThenScrape() throws Exception {
        TestPki pki = TestPki.create(dir, "Metrics CA");
        pki.server("localhost").issue();
        TestPki.Issued reader = pki.client("reader").ou("engineering").issue();
        TestPki.Issued outsider = pki.client("outsider").ou("marketing").issue();
        pki.client("revoked").ou("engineering").revoked().issue();
        pki.client("expired").ou("engineering").expired().issue();
        TestPki rogue = TestPki.create(dir.resolve("rogue"), "Metrics CA");
        TestPki.Issued mallory = rogue.client("mallory").ou("engineering").issue();
        SampleRepository.write(dir.resolve("charts"));
        gateway = GatewayHarness.start(dir, """
                server:
                  host: 127.0.0.1
                  port: 0
                  tls: { certFile: localhost.crt, keyFile: localhost.key, clientCaFile: ca.crt, crlFiles: [ca.crl] }
                admin: { port: 0 }
                routes:
                  - { name: charts, prefix: /charts, upstream: { type: file, dir: charts } }
                  - { name: down, prefix: /down, upstream: { type: http, url: "http://127.0.0.1:9", connectTimeoutMs: 300 } }
                policy:
                  rules:
                    - { name: engineering, match: { ou: engineering }, read: ["/**"] }
                metrics: { maxPrincipals: 1 }
                """);
        HttpClient ok = TlsClients.http(TlsClients.context(reader, pki.caFile()));
        HttpClient denied = TlsClients.http(TlsClients.context(outsider, pki.caFile()));
        send(ok, "/charts/index.yaml");
        send(ok, "/charts/hello-0.2.0.tgz");
        send(denied, "/charts/index.yaml");
        send(ok, "/nowhere");
        send(ok, "/down/index.yaml");
        TlsClients.raw(TlsClients.context(reader, pki.caFile()), gateway.port(), "GET /charts/%2e%2e/x HTTP/1.1\r\nHost: a\r\n\r\n");
        HelmCli helm = HelmCli.of("4", dir.resolve("helm"));
        for (String who : new String[] {"revoked", "expired"}) {
            helm.run(dir, "repo", "add", who, gateway.url("/charts"), "--cert-file", dir.resolve(who + ".crt").toString(),
                    "--key-file", dir.resolve(who + ".key").toString(), "--ca-file", pki.caFile().toString());
        }
        helm.run(dir, "repo", "add", "rogue", gateway.url("/charts"), "--cert-file", mallory.certFile().toString(),
                "--key-file", mallory.keyFile().toString(), "--ca-file", pki.caFile().toString());
        helm.run(dir, "repo", "add", "none", gateway.url("/charts"), "--ca-file", pki.caFile().toString());
        // TLS 1.1, which the gateway does not speak: openssl's own floor has to be lowered to even try
        try {
            Openssl.run(dir, "s_client", "-connect", "127.0.0.1:" + gateway.port(), "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0",
                    "-cert", reader.certFile().toString(), "-key", reader.keyFile().toString());
        } catch (AssertionError expected) {
            // the handshake is meant to fail
        }
        gateway.awaitLog(e -> "tls_handshake_failed".equals(e.get("event")) && "protocol".equals(e.get("reason")));
        scrape = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + gateway.adminPort() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    private static void send(HttpClient client, String path) throws Exception {
        client.send(HttpRequest.newBuilder(URI.create(gateway.url(path))).build(), HttpResponse.BodyHandlers.discarding());
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    private static double value(String series) {
        Matcher m = Pattern.compile("^" + Pattern.quote(series) + " ([0-9.eE+-]+)$", Pattern.MULTILINE).matcher(scrape);
        assertTrue(m.find(), () -> "no series " + series + " in:\n" + scrape);
        return Double.parseDouble(m.group(1));
    }

    @Test
    void promtoolAcceptsTheScrape() {
        HelmCli.Result check = Promtool.run(scrape, "check", "metrics");
        assertEquals(0, check.exitCode(), check::toString);
    }

    @Test
    void requestsAreCountedByRouteAccessDecisionAndStatus() {
        assertEquals(2, value("chartgate_requests_total{access=\"read\",decision=\"allowed\",route=\"charts\",status=\"200\"}"));
        assertEquals(1, value("chartgate_requests_total{access=\"read\",decision=\"denied\",route=\"charts\",status=\"403\"}"));
        assertEquals(1, value("chartgate_requests_total{access=\"none\",decision=\"rejected\",route=\"none\",status=\"404\"}"));
        assertEquals(1, value("chartgate_requests_total{access=\"none\",decision=\"rejected\",route=\"none\",status=\"400\"}"));
        assertEquals(1, value("chartgate_requests_total{access=\"read\",decision=\"allowed\",route=\"down\",status=\"502\"}"));
        assertTrue(scrape.contains("chartgate_request_duration_seconds_bucket{access=\"read\",route=\"charts\",le="), scrape);
        assertTrue(value("chartgate_bytes_sent_total{route=\"charts\"}") > 500);
        assertEquals(0, value("chartgate_bytes_received_total{route=\"charts\"}"));
    }

    @Test
    void upstreamFailuresAreCountedByKind() {
        assertEquals(1, value("chartgate_upstream_errors_total{kind=\"connect\",route=\"down\"}"));
        assertTrue(scrape.contains("chartgate_upstream_duration_seconds_bucket{route=\"charts\",le="), scrape);
    }

    @Test
    void handshakesAreCountedByReason() {
        assertTrue(value("chartgate_tls_handshakes_total{result=\"ok\"}") >= 3);
        assertTrue(value("chartgate_tls_handshakes_total{result=\"revoked\"}") >= 1);
        assertTrue(value("chartgate_tls_handshakes_total{result=\"expired\"}") >= 1);
        assertTrue(value("chartgate_tls_handshakes_total{result=\"unknown_ca\"}") >= 1);
        assertTrue(value("chartgate_tls_handshakes_total{result=\"no_certificate\"}") >= 1);
        assertTrue(value("chartgate_tls_handshakes_total{result=\"protocol\"}") >= 1);
        assertEquals(0, value("chartgate_tls_handshakes_total{result=\"not_yet_valid\"}"), "exported as zero from the start");
    }

    @Test
    void expiriesAreExportedForServerCasCrlsAndClients() {
        assertTrue(value("chartgate_cert_expiry_timestamp_seconds{kind=\"server\",subject=\"CN=localhost\"}") > 1.7e9);
        assertTrue(value("chartgate_cert_expiry_timestamp_seconds{kind=\"client_ca\",subject=\"CN=Metrics CA\"}") > 1.7e9);
        assertTrue(value("chartgate_cert_expiry_timestamp_seconds{kind=\"crl_next_update\",subject=\"CN=Metrics CA\"}") > 1.7e9);
        assertTrue(value("chartgate_client_cert_expiry_timestamp_seconds{principal=\"reader\"}") > 1.7e9);
    }

    @Test
    void principalsPastTheCapAreOther() {
        assertEquals(3, value("chartgate_principal_requests_total{access=\"read\",decision=\"allowed\",principal=\"reader\"}"));
        assertEquals(2, value("chartgate_principal_requests_total{access=\"none\",decision=\"rejected\",principal=\"reader\"}"));
        assertEquals(1, value("chartgate_principal_requests_total{access=\"read\",decision=\"denied\",principal=\"other\"}"));
        assertFalse(scrape.contains("principal=\"outsider\""), "maxPrincipals: 1 keeps outsider out of the labels");
    }

    @Test
    void everyDashboardQueryIsValidPromqlOverExportedNamesOnly() throws Exception {
        JsonNode dashboard = new ObjectMapper().readTree(Path.of("dashboards/chartgate.json").toFile());
        StringBuilder rules = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
        Set<String> names = new TreeSet<>();
        int n = 0;
        for (JsonNode panel : dashboard.get("panels")) {
            for (JsonNode target : panel.get("targets")) {
                String expr = target.get("expr").asText()
                        .replace("$__rate_interval", "5m").replace("$route", ".*").replace("$principal", ".*");
                rules.append("      - record: dashboard:panel").append(panel.get("id")).append('_').append(n++).append("\n")
                        .append("        expr: '").append(expr.replace("'", "''")).append("'\n");
                Matcher m = Pattern.compile("chartgate_[a-z_]+").matcher(expr);
                while (m.find()) {
                    names.add(m.group());
                }
            }
        }
        Path file = Files.writeString(dir.resolve("dashboard-rules.yaml"), rules);
        HelmCli.Result check = Promtool.run("", "check", "rules", file.toString());
        assertEquals(0, check.exitCode(), check::toString);
        for (String name : names) {
            assertTrue(Pattern.compile("^" + name + "[{ ]", Pattern.MULTILINE).matcher(scrape).find(),
                    () -> "the dashboard uses " + name + ", which the gateway does not export");
        }
        assertTrue(names.size() >= 10, names::toString);
    }

    @Test
    void aRealPrometheusScrapesTheAdminPort() throws Exception {
        Path prometheus = Path.of("/usr/bin/prometheus");
        assertTrue(Files.isExecutable(prometheus), "prometheus is required; run scripts/test.sh (apt-get install prometheus)");
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path config = Files.writeString(dir.resolve("prometheus.yml"), """
                global: { scrape_interval: 1s }
                scrape_configs:
                  - job_name: chartgate
                    static_configs: [{ targets: ["127.0.0.1:%d"] }]
                """.formatted(gateway.adminPort()));
        Process server = new ProcessBuilder(prometheus.toString(), "--config.file=" + config,
                "--storage.tsdb.path=" + dir.resolve("tsdb"), "--web.listen-address=127.0.0.1:" + port)
                .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
        try {
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            URI query = URI.create("http://127.0.0.1:" + port + "/api/v1/query?query="
                    + java.net.URLEncoder.encode("sum by (principal) (chartgate_principal_requests_total)", StandardCharsets.UTF_8));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            String body = "";
            while (System.nanoTime() < deadline) {
                try {
                    body = client.send(HttpRequest.newBuilder(query).build(), HttpResponse.BodyHandlers.ofString()).body();
                    if (body.contains("\"principal\":\"reader\"") && body.contains("\"principal\":\"other\"")) {
                        break;
                    }
                } catch (java.io.IOException e) {
                    // not listening yet
                }
                LockSupport.parkNanos(Duration.ofMillis(200).toNanos());
            }
            String answer = body;
            assertTrue(answer.contains("\"principal\":\"reader\"") && answer.contains("\"principal\":\"other\""),
                    () -> "Prometheus answered: " + answer);
            String requests = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/query?query="
                    + java.net.URLEncoder.encode("chartgate_requests_total{decision=\"denied\"}", StandardCharsets.UTF_8))).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(requests.contains("\"route\":\"charts\"") && requests.contains("\"status\":\"403\""), requests);
        } finally {
            server.destroy();
            server.waitFor(10, TimeUnit.SECONDS);
            server.destroyForcibly();
        }
    }

    @Test
    void reloadMetricsExistFromTheStart() {
        assertEquals(0, value("chartgate_config_reloads_total{result=\"failure\"}"));
        assertTrue(value("chartgate_config_last_reload_success_timestamp_seconds") > 1.7e9);
        assertTrue(value("chartgate_active_connections") >= 0);
    }
}
