package io.chartgate.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chartgate.helm.SampleRepository;
import io.chartgate.testing.GatewayHarness;
import io.chartgate.testing.HelmCli;
import io.chartgate.testing.S3ProxyServer;
import io.chartgate.testing.TestPki;
import io.chartgate.testing.TlsClients;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An S3 bucket behind the gateway, with a real s3proxy enforcing SigV4: clients hold certificates, never keys. */
class S3IT {

    @TempDir
    static Path dir;

    private static S3ProxyServer s3;
    private static GatewayHarness gateway;
    private static TestPki pki;
    private static TestPki.Issued writer;
    private static HttpClient client;

    @BeforeAll
    static void start() throws Exception {
        s3 = S3ProxyServer.start(dir, "charts");
        pki = TestPki.create(dir, "S3 CA");
        pki.server("localhost").issue();
        writer = pki.client("writer").ou("release").issue();
        gateway = GatewayHarness.start(dir, """
                server:
                  host: 127.0.0.1
                  port: 0
                  tls: { certFile: localhost.crt, keyFile: localhost.key, clientCaFile: ca.crt }
                admin: { port: 0 }
                routes:
                  - name: bucket
                    prefix: /s3
                    upstream: { type: s3, endpoint: "%1$s", bucket: charts, region: us-east-1, pathStyle: true,
                                keyPrefix: stable/, accessKeyId: %2$s, secretAccessKey: %3$s }
                  - name: signed
                    prefix: /signed
                    upstream: { type: s3, endpoint: "%1$s", bucket: charts, pathStyle: true, payloadSigning: spool,
                                accessKeyId: %2$s, secretAccessKey: %3$s }
                  - name: tight
                    prefix: /tight
                    upstream: { type: s3, endpoint: "%1$s", bucket: charts, pathStyle: true, payloadSigning: spool,
                                spoolMaxBytes: 1Mi, accessKeyId: %2$s, secretAccessKey: %3$s }
                  - name: wrongkeys
                    prefix: /wrong
                    upstream: { type: s3, endpoint: "%1$s", bucket: charts, pathStyle: true,
                                accessKeyId: %2$s, secretAccessKey: not-the-secret }
                policy:
                  rules:
                    - { name: release, match: { ou: release }, read: ["/**"], write: ["/s3/**", "/signed/**", "/tight/**"] }
                """.formatted(s3.endpoint(), S3ProxyServer.IDENTITY, S3ProxyServer.CREDENTIAL));
        client = TlsClients.http(TlsClients.context(writer, pki.caFile()));
    }

    @AfterAll
    static void stop() {
        gateway.close();
        s3.close();
    }

    private static HttpResponse<byte[]> send(HttpRequest.Builder request) throws Exception {
        return client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static HttpRequest.Builder at(String path) {
        return HttpRequest.newBuilder(URI.create(gateway.url(path)));
    }

    @Test
    void spooledUploadsPastSpoolMaxBytesGet503AndTheSpoolIsFreeAgainAfterwards() throws Exception {
        // the headers alone: the gateway refuses on the declared length, before any of the body, and closes
        String refused = TlsClients.raw(TlsClients.context(writer, pki.caFile()), gateway.port(),
                "PUT /tight/big-1.0.0.tgz HTTP/1.1\r\nHost: localhost\r\nContent-Length: " + (2 << 20) + "\r\n\r\n");
        assertTrue(refused.startsWith("HTTP/1.1 503 "), refused);
        assertTrue(refused.contains("\"error\":\"overloaded\"") && refused.contains("spoolMaxBytes: 1048576"), refused);
        // 400 KiB each: an upload's share is given back when its spool file is deleted, a moment after its answer,
        // so two may overlap, and both fit
        for (int i = 0; i < 3; i++) {
            HttpResponse<byte[]> small = send(at("/tight/small-1.0." + i + ".tgz").PUT(HttpRequest.BodyPublishers.ofByteArray(new byte[400 << 10])));
            assertEquals(200, small.statusCode(), () -> "each upload gives its share back: " + new String(small.body()));
        }
    }

    @Test
    void anUploadCannotChooseHowTheStoreServesItToOthers() throws Exception {
        byte[] chart = "not really html".getBytes();
        assertEquals(200, send(at("/s3/page-1.0.0.tgz").header("Content-Type", "text/html")
                .header("Content-Disposition", "inline; filename=x.html").PUT(HttpRequest.BodyPublishers.ofByteArray(chart)))
                .statusCode());
        HttpResponse<byte[]> back = send(at("/s3/page-1.0.0.tgz"));
        assertEquals(200, back.statusCode());
        assertEquals("application/octet-stream", back.headers().firstValue("content-type").orElseThrow());
        assertTrue(back.headers().firstValue("content-disposition").isEmpty(), () -> back.headers().toString());
        assertEquals(200, send(at("/s3/kept-1.0.0.tgz").header("Content-Type", "application/gzip")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(chart))).statusCode());
        assertEquals("application/gzip", send(at("/s3/kept-1.0.0.tgz")).headers().firstValue("content-type").orElseThrow());
    }

    @Test
    void aChartRoundTripsThroughTheBucket() throws Exception {
        byte[] chart = new byte[3 << 20];
        new Random(5).nextBytes(chart);
        assertEquals(200, send(at("/s3/demo-1.0.0.tgz").PUT(HttpRequest.BodyPublishers.ofByteArray(chart))).statusCode());
        assertArrayEquals(chart, Files.readAllBytes(s3.object("charts", "stable/demo-1.0.0.tgz")), "keyPrefix applies");
        HttpResponse<byte[]> back = send(at("/s3/demo-1.0.0.tgz"));
        assertEquals(200, back.statusCode());
        assertArrayEquals(chart, back.body());
        HttpResponse<byte[]> head = send(at("/s3/demo-1.0.0.tgz").method("HEAD", HttpRequest.BodyPublishers.noBody()));
        assertEquals(Integer.toString(chart.length), head.headers().firstValue("content-length").orElseThrow());
        assertEquals(206, send(at("/s3/demo-1.0.0.tgz").header("Range", "bytes=0-9")).statusCode());
        assertEquals(204, send(at("/s3/demo-1.0.0.tgz").DELETE()).statusCode());
        assertEquals(404, send(at("/s3/demo-1.0.0.tgz")).statusCode());
    }

    @Test
    void a100MiBUploadStreamsThroughAGatewayWithA64MiBHeap() throws Exception {
        Path config = Files.writeString(dir.resolve("streaming.yaml"), """
                server:
                  host: 127.0.0.1
                  port: 0
                  tls: { certFile: localhost.crt, keyFile: localhost.key, clientCaFile: ca.crt }
                admin: { port: 0 }
                routes:
                  - name: bucket
                    prefix: /s3
                    upstream: { type: s3, endpoint: "%s", bucket: charts, pathStyle: true, accessKeyId: %s, secretAccessKey: %s }
                policy: { rules: [{ name: release, match: { ou: release }, read: ["/**"], write: ["/s3/**"] }] }
                """.formatted(s3.endpoint(), S3ProxyServer.IDENTITY, S3ProxyServer.CREDENTIAL));
        String jar = System.getProperty("chartgate.jar", "target/chartgate.jar");
        Process gateway = new ProcessBuilder("java", "-Xmx64m", "-jar", jar, "run", "--config", config.toString())
                .redirectErrorStream(true).start();
        try {
            var in = new java.io.BufferedReader(new java.io.InputStreamReader(gateway.getInputStream()));
            String line;
            String url = null;
            while ((line = in.readLine()) != null) {
                if (line.startsWith("chartgate: listening on https://")) {
                    url = "https://localhost:" + line.replaceAll(".*https://[^:]+:(\\d+),.*", "$1");
                    break;
                }
            }
            assertTrue(url != null, "the gateway did not start");
            long size = 100L << 20;
            java.security.MessageDigest sent = java.security.MessageDigest.getInstance("SHA-256");
            HttpResponse<byte[]> response = client.send(HttpRequest.newBuilder(URI.create(url + "/s3/big/upload.bin"))
                    .PUT(HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() ->
                            new java.security.DigestInputStream(new PatternStream(size), sent)), size)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, response.statusCode(), () -> new String(response.body()));
            Path stored = s3.object("charts", "big/upload.bin");
            assertEquals(size, Files.size(stored));
            java.security.MessageDigest received = java.security.MessageDigest.getInstance("SHA-256");
            try (var file = new java.security.DigestInputStream(Files.newInputStream(stored), received)) {
                file.transferTo(java.io.OutputStream.nullOutputStream());
            }
            assertArrayEquals(sent.digest(), received.digest(), "every byte arrived");
        } finally {
            gateway.destroy();
            gateway.waitFor(20, java.util.concurrent.TimeUnit.SECONDS);
            gateway.destroyForcibly();
        }
    }

    /** {@code size} bytes of a repeating pattern, made as they are read: the test holds no 100 MiB array either. */
    private static final class PatternStream extends java.io.InputStream {
        private long left;

        PatternStream(long size) {
            this.left = size;
        }

        @Override
        public int read() {
            return left-- > 0 ? (int) (left % 251) : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (left <= 0) {
                return -1;
            }
            int n = (int) Math.min(len, left);
            for (int i = 0; i < n; i++) {
                b[off + i] = (byte) (--left % 251);
            }
            return n;
        }
    }

    @Test
    void withSpoolingTheUploadIsSignedWithItsOwnHashEvenWhenChunked() throws Exception {
        byte[] chart = new byte[5 << 20];
        new Random(9).nextBytes(chart);
        HttpResponse<byte[]> put = send(at("/signed/spooled-1.0.0.tgz")
                .PUT(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(chart))));
        assertEquals(200, put.statusCode(), () -> new String(put.body()));
        assertArrayEquals(chart, Files.readAllBytes(s3.object("charts", "spooled-1.0.0.tgz")));
        try (var spools = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            assertTrue(spools.noneMatch(p -> p.getFileName().toString().startsWith("chartgate-spool-")), "the spool file is deleted");
        }
    }

    @Test
    void keysWithSpacesAndUnicodeAreEncodedAsS3ExpectsAndSigned() throws Exception {
        assertEquals(200, send(at("/s3/team%20a/caf%C3%A9-1.0.0.tgz").PUT(HttpRequest.BodyPublishers.ofString("x"))).statusCode());
        assertTrue(Files.exists(s3.object("charts", "stable/team a/café-1.0.0.tgz")));
        assertEquals("x", new String(send(at("/s3/team%20a/caf%C3%A9-1.0.0.tgz")).body()));
    }

    @Test
    void theGatewaysOwnCredentialsRefusedIs502AndNothingSecretIsShown() throws Exception {
        HttpResponse<byte[]> response = send(at("/wrong/stable/anything.tgz"));
        assertEquals(502, response.statusCode());
        String body = new String(response.body());
        assertTrue(body.contains("\"error\":\"upstream_unavailable\"") && body.contains("refused the gateway's own credentials"), body);
        assertFalse(body.contains("not-the-secret"), body);
    }

    @Test
    void subResourcesAreRefusedAndPresignedParametersAndClientAuthorizationAreIgnored() throws Exception {
        HttpResponse<byte[]> acl = send(at("/s3/demo.tgz?acl"));
        assertEquals(400, acl.statusCode());
        assertTrue(new String(acl.body()).contains("sub-resource"), new String(acl.body()));
        assertEquals(400, send(at("/s3/?list-type=2")).statusCode());
        send(at("/s3/kept.tgz").PUT(HttpRequest.BodyPublishers.ofString("kept")));
        HttpResponse<byte[]> spoofed = send(at("/s3/kept.tgz?X-Amz-Signature=abc&X-Amz-Credential=evil")
                .header("Authorization", "AWS4-HMAC-SHA256 Credential=evil/20240101/us-east-1/s3/aws4_request, Signature=00")
                .header("X-Amz-Security-Token", "evil"));
        assertEquals(200, spoofed.statusCode(), () -> new String(spoofed.body()));
        assertEquals("kept", new String(spoofed.body()));
    }

    @Test
    void helmReadsARepositoryInTheBucketWhoseIndexHoldsS3Urls() throws Exception {
        Path local = Files.createDirectories(dir.resolve("local"));
        SampleRepository.write(local);
        for (String name : new String[] {"hello-0.1.0.tgz", "hello-0.2.0.tgz"}) {
            assertEquals(200, send(at("/s3/repo/" + name).PUT(HttpRequest.BodyPublishers.ofFile(local.resolve(name)))).statusCode());
        }
        // as the helm-s3 plugin writes it
        String index = Files.readString(local.resolve("index.yaml")).replace("- hello-0.", "- s3://charts/stable/repo/hello-0.");
        assertTrue(index.contains("s3://charts/stable/repo/hello-0.2.0.tgz"), index);
        assertEquals(200, send(at("/s3/repo/index.yaml").PUT(HttpRequest.BodyPublishers.ofString(index))).statusCode());
        for (String major : new String[] {"3", "4"}) {
            HelmCli helm = HelmCli.of(major, dir.resolve("helm" + major));
            HelmCli.Result add = helm.run(dir, "repo", "add", "bucket", gateway.url("/s3/repo"), "--cert-file", writer.certFile().toString(),
                    "--key-file", writer.keyFile().toString(), "--ca-file", pki.caFile().toString());
            assertTrue(add.ok(), add::toString);
            HelmCli.Result update = helm.run(dir, "repo", "update", "bucket");
            assertTrue(update.ok(), update::toString);
            Path pulls = Files.createDirectories(dir.resolve("pulls" + major));
            HelmCli.Result pull = helm.run(pulls, "pull", "bucket/hello", "--version", "0.2.0");
            assertTrue(pull.ok(), pull::toString);
            assertArrayEquals(Files.readAllBytes(local.resolve("hello-0.2.0.tgz")), Files.readAllBytes(pulls.resolve("hello-0.2.0.tgz")));
        }
    }
}
