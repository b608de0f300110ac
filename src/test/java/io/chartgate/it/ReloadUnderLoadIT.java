package io.chartgate.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chartgate.testing.GatewayHarness;
import io.chartgate.testing.TestPki;
import io.chartgate.testing.TlsClients;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reload under load: 10,000 requests over keep-alive and fresh connections (32 MiB downloads among them) while
 * more than 50 reloads happen — policy toggles, server certificate rotations, CA bundle changes, CRL updates and a
 * broken file now and then. No request may fail except those the policy in force denies, every downloaded byte
 * must verify, and every broken file must change nothing and be counted.
 */
class ReloadUnderLoadIT {

    private static final int WORKERS = 8;
    private static final int REQUESTS = 10_000;

    @TempDir
    Path dir;

    private static final String CONFIG = """
            server:
              host: 127.0.0.1
              port: 0
              eventLoops: 3
              tls: { certFile: localhost.crt, keyFile: localhost.key, clientCaFile: %s, crlFiles: [ca.crl] }
            admin: { port: 0 }
            routes: [{ name: files, prefix: /, upstream: { type: file, dir: files } }]
            reload: { watchIntervalSeconds: 3600 }
            policy:
              rules:
                - { name: readers, match: { ou: engineering }, read: [%s] }
            """;

    @Test
    void noRequestFailsWhileTheConfigurationIsReloadedFiftyTimes() throws Exception {
        TestPki pki = TestPki.create(dir, "Load CA");
        TestPki other = TestPki.create(dir.resolve("other"), "Other CA");
        pki.server("localhost").issue();
        TestPki.Issued reader = pki.client("reader").ou("engineering").issue();
        Path files = Files.createDirectories(dir.resolve("files"));
        Files.writeString(files.resolve("index.yaml"), "apiVersion: v1\nentries: {}\n");
        Files.writeString(files.resolve("toggle.txt"), "toggled\n");
        byte[] big = new byte[32 << 20];
        new Random(3).nextBytes(big);
        Files.write(files.resolve("big.bin"), big);
        Files.writeString(dir.resolve("bundle.crt"), Files.readString(pki.caFile()) + Files.readString(other.caFile()));
        String open = "\"/**\"";
        String closed = "\"/index.yaml\", \"/big.bin\"";
        GatewayHarness gateway = GatewayHarness.start(dir, CONFIG.formatted("ca.crt", open));
        Path live = dir.resolve("chartgate.yaml");
        SSLContext tls = TlsClients.context(reader, pki.caFile());
        HttpClient keepAlive = TlsClients.http(tls);
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        AtomicInteger done = new AtomicInteger();
        AtomicInteger toggleDenied = new AtomicInteger();
        AtomicInteger bigDownloads = new AtomicInteger();
        AtomicBoolean running = new AtomicBoolean(true);
        ExecutorService pool = Executors.newFixedThreadPool(WORKERS + 1);
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (int w = 0; w < WORKERS; w++) {
                int worker = w;
                workers.add(pool.submit(() -> {
                    for (int i = 0; i < REQUESTS / WORKERS; i++) {
                        // every 20th request opens a fresh connection with a full handshake
                        HttpClient client = i % 20 == 0 ? TlsClients.http(tls) : keepAlive;
                        String path = i % 10 == 5 ? "/toggle.txt" : (i == 100 && worker < 4) ? "/big.bin" : "/index.yaml";
                        try {
                            HttpResponse<byte[]> response = client.send(HttpRequest.newBuilder(URI.create(gateway.url(path))).build(),
                                    HttpResponse.BodyHandlers.ofByteArray());
                            if (path.equals("/toggle.txt") && response.statusCode() == 403) {
                                toggleDenied.incrementAndGet();
                            } else if (response.statusCode() != 200) {
                                failures.add(path + " -> " + response.statusCode() + " " + new String(response.body()));
                            } else if (path.equals("/big.bin")) {
                                assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(big),
                                        MessageDigest.getInstance("SHA-256").digest(response.body()));
                                bigDownloads.incrementAndGet();
                            }
                        } catch (Exception | AssertionError e) {
                            failures.add(path + " -> " + e);
                        }
                        done.incrementAndGet();
                    }
                    return null;
                }));
            }
            int reloads = 0;
            int broken = 0;
            while (running.get() && (reloads < 50 || done.get() < REQUESTS)) {
                int step = reloads % 5;
                String bundle = reloads % 4 < 2 ? "ca.crt" : "bundle.crt";
                switch (step) {
                    case 0 -> Files.writeString(live, CONFIG.formatted(bundle, reloads % 2 == 0 ? closed : open));
                    case 1 -> pki.server("localhost").issue();
                    case 2 -> Files.writeString(live, CONFIG.formatted(bundle, open));
                    case 3 -> pki.client("leaver-" + reloads).ou("engineering").revoked().issue();
                    default -> {
                        Files.writeString(live, "routes: [ this is not a configuration");
                        assertTrue(!gateway.reload().isEmpty(), "a broken file must fail the reload");
                        broken++;
                        Files.writeString(live, CONFIG.formatted(bundle, open));
                    }
                }
                List<String> errors = gateway.reload();
                assertEquals(List.of(), errors);
                reloads++;
                if (workers.stream().allMatch(Future::isDone)) {
                    running.set(false);
                }
            }
            for (Future<?> worker : workers) {
                worker.get(5, TimeUnit.MINUTES);
            }
            assertTrue(reloads >= 50, "only " + reloads + " reloads");
            assertEquals(List.of(), List.copyOf(failures), failures.size() + " requests failed");
            assertEquals(REQUESTS, done.get());
            assertEquals(4, bigDownloads.get());
            String metrics = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.adminPort() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(metrics.contains("chartgate_config_reloads_total{result=\"failure\"} " + broken + ".0"), metrics);
        } finally {
            running.set(false);
            pool.shutdownNow();
            gateway.close();
        }
    }
}
