package io.chartgate.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chartgate.testing.GatewayHarness;
import io.chartgate.testing.HelmCli;
import io.chartgate.testing.NginxServer;
import io.chartgate.testing.PgpKeys;
import io.chartgate.testing.S3ProxyServer;
import io.chartgate.testing.TestPki;
import io.chartgate.testing.TlsClients;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code requireProvenance} with charts signed by the real {@code helm package --sign}: what verifies reaches the
 * upstream (nginx as a static repository and as a stand-in for ChartMuseum's multipart API, s3proxy as S3) and
 * {@code helm pull --verify} works through the gateway; an unsigned chart, a key not in the keyring and bytes
 * that do not match their provenance get 422, and nothing of them reaches the upstream.
 */
class ProvenanceIT {

    @TempDir
    static Path dir;

    private static NginxServer nginx;
    private static S3ProxyServer s3;
    private static GatewayHarness gateway;
    private static TestPki pki;
    private static HttpClient client;
    private static PgpKeys signer;
    private static Path signed;
    private static Path foreign;
    private static Path unsigned;

    @BeforeAll
    static void start() throws Exception {
        Path repo = Files.createDirectories(dir.resolve("repo"));
        Files.createDirectories(repo.resolve("static"));
        nginx = NginxServer.start(repo);
        s3 = S3ProxyServer.start(dir.resolve("s3"), "charts");
        pki = TestPki.create(dir, "Provenance CA");
        pki.server("localhost").issue();
        TestPki.Issued release = pki.client("release").ou("release").issue();
        client = TlsClients.http(TlsClients.context(release, pki.caFile()));

        signer = PgpKeys.create(dir.resolve("pgp"), "Chart Signer");
        PgpKeys stranger = PgpKeys.create(dir.resolve("pgp-stranger"), "Someone Else");
        HelmCli helm = HelmCli.of("4", dir.resolve("helm"));
        Path work = Files.createDirectories(dir.resolve("work"));
        assertTrue(helm.run(work, "create", "demo").ok());
        Path out = Files.createDirectories(dir.resolve("packages"));
        HelmCli.Result sign = helm.run(work, "package", "demo", "--version", "0.1.0", "--sign", "--key", "Chart Signer",
                "--keyring", signer.secretKeyring().toString(), "-d", out.resolve("signed").toString());
        assertTrue(sign.ok(), sign::toString);
        HelmCli.Result other = helm.run(work, "package", "demo", "--version", "0.2.0", "--sign", "--key", "Someone Else",
                "--keyring", stranger.secretKeyring().toString(), "-d", out.resolve("foreign").toString());
        assertTrue(other.ok(), other::toString);
        assertTrue(helm.run(work, "package", "demo", "--version", "0.3.0", "-d", out.resolve("unsigned").toString()).ok());
        signed = out.resolve("signed/demo-0.1.0.tgz");
        foreign = out.resolve("foreign/demo-0.2.0.tgz");
        unsigned = out.resolve("unsigned/demo-0.3.0.tgz");

        gateway = GatewayHarness.start(dir, """
                server:
                  host: 127.0.0.1
                  port: 0
                  tls: { certFile: localhost.crt, keyFile: localhost.key, clientCaFile: ca.crt }
                admin: { port: 0 }
                routes:
                  - { name: static, prefix: /static, upstream: { type: http, url: "%1$s/static/", requireProvenance: { keyring: %4$s } } }
                  - { name: museum, prefix: /museum, upstream: { type: http, url: "%1$s/museum/", requireProvenance: { keyring: %4$s } } }
                  - name: bucket
                    prefix: /s3
                    upstream: { type: s3, endpoint: "%2$s", bucket: charts, pathStyle: true, accessKeyId: %3$s,
                                secretAccessKey: %5$s, requireProvenance: { keyring: %4$s } }
                policy:
                  rules:
                    - { name: release, match: { ou: release }, read: ["/**"], write: ["/**"] }
                """.formatted(nginx.baseUrl(), s3.endpoint(), S3ProxyServer.IDENTITY, signer.publicKeyring(),
                S3ProxyServer.CREDENTIAL));
    }

    @AfterAll
    static void stop() throws Exception {
        gateway.close();
        s3.close();
        nginx.close();
    }

    private static HttpResponse<String> put(String path, byte[] body) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(gateway.url(path))).PUT(HttpRequest.BodyPublishers.ofByteArray(body))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    private static byte[] prov(Path chart) throws Exception {
        return Files.readAllBytes(Path.of(chart + ".prov"));
    }

    private static void assertRefused(HttpResponse<String> response, String reason) {
        assertEquals(422, response.statusCode(), response::body);
        assertTrue(response.body().contains("\"error\":\"provenance_invalid\""), response::body);
        assertTrue(response.body().contains("\"message\":\"" + reason + ": "), response::body);
    }

    private static long puts(String uri) {
        return nginx.received().stream().filter(r -> r.method().equals("PUT") && r.uri().equals(uri)).count();
    }

    @Test
    void aStaticRepositoryTakesAChartOnlyAfterItsProvenanceAndHelmVerifiesItThroughTheGateway() throws Exception {
        assertRefused(put("/static/demo-0.1.0.tgz", Files.readAllBytes(signed)), "unsigned");
        assertEquals(0, puts("/static/demo-0.1.0.tgz"), "nothing of a refused upload reaches the upstream");

        assertEquals(201, put("/static/demo-0.1.0.tgz.prov", prov(signed)).statusCode());
        byte[] tampered = Files.readAllBytes(signed);
        tampered[tampered.length / 2] ^= 1;
        assertRefused(put("/static/demo-0.1.0.tgz", tampered), "digest_mismatch");
        assertEquals(0, puts("/static/demo-0.1.0.tgz"));

        HttpResponse<String> accepted = put("/static/demo-0.1.0.tgz", Files.readAllBytes(signed));
        assertEquals(201, accepted.statusCode(), accepted::body);
        assertArrayEquals(Files.readAllBytes(signed), Files.readAllBytes(nginx.root().resolve("static/demo-0.1.0.tgz")));

        // a provenance file for another chart does not vouch for this one
        assertEquals(201, put("/static/demo-0.3.0.tgz.prov", prov(signed)).statusCode());
        assertRefused(put("/static/demo-0.3.0.tgz", Files.readAllBytes(unsigned)), "digest_mismatch");

        assertRefused(put("/static/demo-0.2.0.tgz.prov", prov(foreign)), "unknown_key");
        String forged = new String(prov(signed), StandardCharsets.UTF_8).replace("version: 0.1.0", "version: 9.9.9");
        assertRefused(put("/static/demo-9.9.9.tgz.prov", forged.getBytes(StandardCharsets.UTF_8)), "bad_signature");
        assertFalse(Files.exists(nginx.root().resolve("static/demo-0.2.0.tgz.prov")));
        assertEquals(201, put("/static/index.yaml", "apiVersion: v1\nentries: {}\n".getBytes(StandardCharsets.UTF_8))
                .statusCode(), "what is no chart needs no provenance");

        HelmCli helm = HelmCli.of("3", dir.resolve("helm-pull"));
        TestPki.Issued reader = pki.client("reader").ou("release").issue();
        Path pulled = Files.createDirectories(dir.resolve("pulled"));
        HelmCli.Result pull = helm.run(pulled, "pull", gateway.url("/static/demo-0.1.0.tgz"), "--verify", "--keyring",
                signer.publicKeyring().toString(), "--cert-file", reader.certFile().toString(), "--key-file",
                reader.keyFile().toString(), "--ca-file", pki.caFile().toString());
        assertTrue(pull.ok(), pull::toString);
    }

    @Test
    void chartMuseumsMultipartUploadNeedsAProvFieldThatVerifies() throws Exception {
        nginx.clearLog();
        HttpResponse<String> good = multipart("/museum/api/charts", signed, prov(signed));
        List<NginxServer.ReceivedRequest> posts = nginx.awaitReceived(1, java.time.Duration.ofSeconds(10)).stream()
                .filter(r -> r.method().equals("POST") && r.uri().equals("/museum/api/charts")).toList();
        assertEquals(1, posts.size(), "the verified upload reached the upstream (nginx then refuses POST): " + good.body());
        long length = multipartBody(signed, prov(signed)).length;
        assertEquals(Long.toString(length), posts.get(0).header("content-length"), "byte for byte");

        nginx.clearLog();
        assertRefused(multipart("/museum/api/charts", foreign, prov(foreign)), "unknown_key");
        assertRefused(multipart("/museum/api/charts", unsigned, null), "unsigned");
        assertRefused(multipart("/museum/api/charts", unsigned, prov(signed)), "digest_mismatch");
        // a large chart part is decoded (to disk), not refused as malformed
        byte[] big = new byte[4 << 20];
        new java.util.Random(5).nextBytes(big);
        big[0] = 0x1f;
        big[1] = (byte) 0x8b;
        Path large = Files.write(dir.resolve("demo-0.1.0.tgz"), big);
        assertRefused(multipart("/museum/api/charts", large, prov(signed)), "digest_mismatch");
        HttpResponse<String> raw = client.send(HttpRequest.newBuilder(URI.create(gateway.url("/museum/api/charts")))
                .POST(HttpRequest.BodyPublishers.ofFile(signed)).build(), HttpResponse.BodyHandlers.ofString());
        assertRefused(raw, "unsigned");
        // every answer above was the gateway's own: what nginx logged by now is all it will ever get of them
        assertEquals(List.of(), nginx.settledReceived(), "no refused upload reached the upstream");
    }

    @Test
    void anS3RouteChecksAChartAgainstTheProvenancePutBeforeIt() throws Exception {
        assertRefused(put("/s3/demo-0.1.0.tgz", Files.readAllBytes(signed)), "unsigned");
        assertFalse(Files.exists(s3.object("charts", "demo-0.1.0.tgz")));
        assertEquals(200, put("/s3/demo-0.1.0.tgz.prov", prov(signed)).statusCode());
        HttpResponse<String> accepted = put("/s3/demo-0.1.0.tgz", Files.readAllBytes(signed));
        assertEquals(200, accepted.statusCode(), accepted::body);
        HttpResponse<byte[]> back = client.send(HttpRequest.newBuilder(URI.create(gateway.url("/s3/demo-0.1.0.tgz"))).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertArrayEquals(Files.readAllBytes(signed), back.body());
    }

    private static final String BOUNDARY = "----chartgate-provenance";

    private static byte[] multipartBody(Path chart, byte[] prov) throws Exception {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        part(body, "chart", chart.getFileName().toString(), Files.readAllBytes(chart));
        if (prov != null) {
            part(body, "prov", chart.getFileName() + ".prov", prov);
        }
        body.write(("--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.US_ASCII));
        return body.toByteArray();
    }

    private static void part(ByteArrayOutputStream body, String name, String file, byte[] content) throws Exception {
        body.write(("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"" + name + "\"; filename=\"" + file
                + "\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        body.write(content);
        body.write("\r\n".getBytes(StandardCharsets.US_ASCII));
    }

    private static HttpResponse<String> multipart(String path, Path chart, byte[] prov) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(gateway.url(path)))
                .header("Content-Type", "multipart/form-data; boundary=" + BOUNDARY)
                .POST(HttpRequest.BodyPublishers.ofByteArray(multipartBody(chart, prov))).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
