package io.chartgate.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chartgate.testing.GatewayHarness;
import io.chartgate.testing.HelmCli;
import io.chartgate.testing.NginxServer;
import io.chartgate.testing.PgpKeys;
import io.chartgate.testing.TestPki;
import io.chartgate.testing.TlsClients;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Repositories made by helm itself ({@code helm create}, {@code helm package}, {@code helm repo index} with and
 * without {@code --url}) behind the gateway: helm 3 and 4 must fetch every chart through the gateway, which
 * nginx's log proves, and a changed upstream index must be seen at once.
 */
class IndexRewritingIT {

    @TempDir
    static Path dir;

    private static TestPki pki;
    private static TestPki.Issued reader;
    private static NginxServer nginx;
    private static GatewayHarness gateway;
    private static HelmCli packager;
    /** Signs demo 0.3.0 once, for every helm version's verification. */
    private static PgpKeys signer;

    @BeforeAll
    static void start() throws Exception {
        pki = TestPki.create(dir, "Index IT CA");
        pki.server("localhost").issue();
        reader = pki.client("reader").ou("engineering").issue();
        Path root = Files.createDirectories(dir.resolve("www"));
        Path abs = Files.createDirectories(root.resolve("abs"));
        Path rel = Files.createDirectories(root.resolve("rel"));
        nginx = NginxServer.start(root);
        packager = HelmCli.of("3", dir.resolve("packager"));
        Path work = Files.createDirectories(dir.resolve("work"));
        assertTrue(packager.run(work, "create", "demo").ok());
        assertTrue(packager.run(work, "package", "demo", "-d", abs.toString()).ok());
        // different bytes from the abs chart: helm 4 caches charts by digest and would not fetch a twin
        assertTrue(packager.run(work, "package", "demo", "--app-version", "2.0.0", "-d", rel.toString()).ok());
        assertTrue(packager.run(work, "repo", "index", abs.toString(), "--url", nginx.baseUrl() + "/abs").ok());
        assertTrue(packager.run(work, "repo", "index", rel.toString()).ok());
        // helm writes JSON indexes too (--json); and an upstream may send its index gzip-encoded
        Path json = Files.createDirectories(root.resolve("json"));
        assertTrue(packager.run(work, "package", "demo", "--app-version", "3.0.0", "-d", json.toString()).ok());
        assertTrue(packager.run(work, "repo", "index", json.toString(), "--json", "--url", nginx.baseUrl() + "/json").ok());
        Path gz = Files.createDirectories(root.resolve("gz"));
        assertTrue(packager.run(work, "package", "demo", "--app-version", "4.0.0", "-d", gz.toString()).ok());
        assertTrue(packager.run(work, "repo", "index", gz.toString(), "--url", nginx.baseUrl() + "/gz").ok());
        byte[] plain = Files.readAllBytes(gz.resolve("index.yaml"));
        try (var out = new java.util.zip.GZIPOutputStream(Files.newOutputStream(gz.resolve("index.yaml.gz")))) {
            out.write(plain);
        }
        assertTrue(Files.readString(abs.resolve("index.yaml")).contains(nginx.baseUrl() + "/abs/demo-0.1.0.tgz"));
        gateway = GatewayHarness.start(dir, """
                server:
                  host: 127.0.0.1
                  port: 0
                  tls: { certFile: localhost.crt, keyFile: localhost.key, clientCaFile: ca.crt }
                  # these tests change the upstream's index and read it at once: revalidate on every request
                  limits: { indexRevalidateMillis: 0 }
                admin: { port: 0 }
                routes:
                  - { name: abs, prefix: /abs, upstream: { type: http, url: "%1$s/abs/" } }
                  - { name: rel, prefix: /rel, upstream: { type: http, url: "%1$s/rel/" } }
                  - { name: json, prefix: /json, upstream: { type: http, url: "%1$s/json/" } }
                  - { name: gz, prefix: /gz, upstream: { type: http, url: "%1$s/gz/" } }
                policy:
                  rules:
                    - { name: engineering, match: { ou: engineering }, read: ["/**"] }
                """.formatted(nginx.baseUrl()));
    }

    @AfterAll
    static void stop() {
        gateway.close();
        nginx.close();
    }

    private static HelmCli.Result add(HelmCli helm, String name, String path) {
        return helm.run(dir, "repo", "add", name, gateway.url(path), "--cert-file", reader.certFile().toString(),
                "--key-file", reader.keyFile().toString(), "--ca-file", pki.caFile().toString());
    }

    @ParameterizedTest(name = "helm {0}")
    @ValueSource(strings = {"3", "4"})
    void everyChartComesThroughTheGatewayForAbsoluteAndRelativeIndexes(String major) throws Exception {
        HelmCli helm = HelmCli.of(major, dir.resolve("helm-" + major));
        assertTrue(add(helm, "abs", "/abs").ok());
        assertTrue(add(helm, "rel", "/rel").ok());
        HelmCli.Result json = add(helm, "json", "/json");
        assertTrue(json.ok(), json::toString);
        HelmCli.Result gz = add(helm, "gz", "/gz");
        assertTrue(gz.ok(), gz::toString);
        nginx.clearLog();
        for (String repo : List.of("abs", "rel", "json", "gz")) {
            Path pulls = Files.createDirectories(dir.resolve("pulls-" + major + "-" + repo));
            HelmCli.Result pull = helm.run(pulls, "pull", repo + "/demo", "--version", "0.1.0");
            assertTrue(pull.ok(), pull::toString);
            assertTrue(Files.exists(pulls.resolve("demo-0.1.0.tgz")));
            HelmCli.Result template = helm.run(dir, "template", "t", repo + "/demo", "--version", "0.1.0");
            assertTrue(template.ok() && template.output().contains("name: t-demo"), template::toString);
        }
        List<NginxServer.ReceivedRequest> charts = nginx.received().stream().filter(r -> r.uri().endsWith(".tgz")).toList();
        // helm 4 keeps a content cache, so `template` may not fetch again; each chart was fetched at least once
        assertEquals(java.util.Set.of("/abs/demo-0.1.0.tgz", "/rel/demo-0.1.0.tgz", "/json/demo-0.1.0.tgz", "/gz/demo-0.1.0.tgz"),
                charts.stream().map(NginxServer.ReceivedRequest::uri).collect(java.util.stream.Collectors.toSet()),
                () -> "nginx saw " + nginx.received());
        for (NginxServer.ReceivedRequest chart : charts) {
            assertTrue(chart.header("x-request-id") != null && chart.header("x-forwarded-client-cert") != null,
                    () -> "a chart was fetched around the gateway: " + chart);
        }
    }

    @Test
    void aJsonIndexStaysJsonAndAGzipEncodedOneIsDecodedAndRewritten() throws Exception {
        HttpClient client = TlsClients.http(TlsClients.context(reader, pki.caFile()));
        HttpResponse<String> json = client.send(HttpRequest.newBuilder(URI.create(gateway.url("/json/index.yaml"))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, json.statusCode());
        assertTrue(json.body().trim().startsWith("{"), json::body);
        assertTrue(json.body().contains("\"" + gateway.url("/json/demo-0.1.0.tgz") + "\""), json::body);
        HttpResponse<String> gz = client.send(HttpRequest.newBuilder(URI.create(gateway.url("/gz/index.yaml"))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, gz.statusCode());
        assertTrue(gz.headers().firstValue("content-encoding").isEmpty(), "the rewritten index is sent plain");
        assertTrue(gz.body().contains(gateway.url("/gz/demo-0.1.0.tgz")), gz::body);
        assertFalse(gz.body().contains(nginx.baseUrl()), gz::body);
    }

    @Test
    void theRewrittenIndexIsCachedRevalidatedAndAnsweredWith304() throws Exception {
        HttpClient client = TlsClients.http(TlsClients.context(reader, pki.caFile()));
        HttpRequest get = HttpRequest.newBuilder(URI.create(gateway.url("/abs/index.yaml"))).build();
        HttpResponse<String> first = client.send(get, HttpResponse.BodyHandlers.ofString());
        assertEquals(200, first.statusCode());
        assertTrue(first.body().contains(gateway.url("/abs/demo-0.1.0.tgz")), first::body);
        assertFalse(first.body().contains(nginx.baseUrl()), first::body);
        String etag = first.headers().firstValue("etag").orElseThrow();
        nginx.clearLog();
        HttpResponse<String> second = client.send(get, HttpResponse.BodyHandlers.ofString());
        assertEquals(first.body(), second.body());
        assertEquals(etag, second.headers().firstValue("etag").orElseThrow());
        NginxServer.ReceivedRequest revalidation = HttpUpstreamIT.proxied(nginx, 1).get(0);
        assertEquals(304, revalidation.status(), "the gateway revalidates its cached rewrite with the upstream");
        HttpResponse<String> notModified = client.send(HttpRequest.newBuilder(URI.create(gateway.url("/abs/index.yaml")))
                .header("If-None-Match", etag).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(304, notModified.statusCode());
    }

    @ParameterizedTest(name = "helm {0}")
    @ValueSource(strings = {"3", "4"})
    void signedChartsVerifyThroughTheGatewayAndTheirProvenanceComesThroughIt(String major) throws Exception {
        Path signed = nginx.root().resolve("abs");
        Path work = dir.resolve("work");
        synchronized (IndexRewritingIT.class) {
            if (signer == null) {
                signer = PgpKeys.create(dir.resolve("pgp"), "Chart Signer");
                HelmCli.Result sign = packager.run(work, "package", "demo", "--version", "0.3.0", "--sign", "--key", "Chart Signer",
                        "--keyring", signer.secretKeyring().toString(), "-d", signed.toString());
                assertTrue(sign.ok(), sign::toString);
                assertTrue(packager.run(work, "repo", "index", signed.toString(), "--url", nginx.baseUrl() + "/abs").ok());
            }
        }
        HelmCli helm = HelmCli.of(major, dir.resolve("helm-verify-" + major));
        assertTrue(add(helm, "signed", "/abs").ok());
        nginx.clearLog();
        Path pulls = Files.createDirectories(dir.resolve("pulls-verify-" + major));
        HelmCli.Result verified = helm.run(pulls, "pull", "signed/demo", "--version", "0.3.0", "--verify",
                "--keyring", signer.publicKeyring().toString());
        assertTrue(verified.ok(), verified::toString);
        List<NginxServer.ReceivedRequest> prov = nginx.received().stream().filter(r -> r.uri().endsWith(".prov")).toList();
        assertFalse(prov.isEmpty(), () -> "no .prov fetched: " + nginx.received());
        prov.forEach(r -> assertTrue(r.header("x-request-id") != null, () -> "a .prov came around the gateway: " + r));
        PgpKeys other = PgpKeys.create(dir.resolve("pgp-other-" + major), "Someone Else");
        Path elsewhere = Files.createDirectories(dir.resolve("pulls-wrong-key-" + major));
        HelmCli.Result wrongKey = helm.run(elsewhere, "pull", "signed/demo", "--version", "0.3.0", "--verify",
                "--keyring", other.publicKeyring().toString());
        assertFalse(wrongKey.ok(), wrongKey::toString);
    }

    @Test
    void anIndexOverTheBoundIs502AndNotRewritten() throws Exception {
        Path small = Files.createDirectories(dir.resolve("small"));
        try (GatewayHarness bounded = GatewayHarness.start(small, """
                server:
                  host: 127.0.0.1
                  port: 0
                  tls: { certFile: ../localhost.crt, keyFile: ../localhost.key, clientCaFile: ../ca.crt }
                  limits: { maxIndexBytes: 100 }
                admin: { port: 0 }
                routes: [{ name: abs, prefix: /abs, upstream: { type: http, url: "%s/abs/" } }]
                policy: { rules: [{ name: r, match: { ou: engineering }, read: ["/**"] }] }
                """.formatted(nginx.baseUrl()))) {
            HttpResponse<String> response = TlsClients.http(TlsClients.context(reader, pki.caFile())).send(
                    HttpRequest.newBuilder(URI.create(bounded.url("/abs/index.yaml"))).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(502, response.statusCode());
            assertTrue(response.body().contains("\"error\":\"upstream_unavailable\"")
                    && response.body().contains("larger than 100 bytes (server.limits.maxIndexBytes)"), response::body);
        }
    }

    @Test
    void aChangedUpstreamIndexIsSeenOnTheNextUpdate() throws Exception {
        HelmCli helm = HelmCli.of("4", dir.resolve("helm-change"));
        assertTrue(add(helm, "changing", "/abs").ok());
        Path abs = nginx.root().resolve("abs");
        Path work = dir.resolve("work");
        assertTrue(packager.run(work, "package", "demo", "--version", "0.2.0", "-d", abs.toString()).ok());
        assertTrue(packager.run(work, "repo", "index", abs.toString(), "--url", nginx.baseUrl() + "/abs").ok());
        assertTrue(helm.run(dir, "repo", "update", "changing").ok());
        HelmCli.Result search = helm.run(dir, "search", "repo", "changing/demo", "--versions");
        assertTrue(search.output().contains("0.2.0"), search::toString);
        Path pulls = Files.createDirectories(dir.resolve("pulls-changed"));
        assertTrue(helm.run(pulls, "pull", "changing/demo", "--version", "0.2.0").ok());
    }
}
