package io.chartgate.loadtest;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * The OCI rows' upstream: Debian's {@code docker-registry} (filesystem storage, no auth) and the chart pushed
 * into it before the rows run, the way helm pushes it (config blob, chart layer, manifest under a tag).
 */
final class Registry {

    static final Path BINARY = Path.of("/usr/bin/docker-registry");
    static final String REPOSITORY = "bench/small";
    static final String TAG = "1.0.0";
    static final String MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json";

    /** The pushed chart: its layer's digest (what a pull GETs) and the manifest (what a push PUTs last). */
    record Pushed(String layerDigest, byte[] manifest, String manifestDigest) {

        String blobPath() {
            return "/v2/" + REPOSITORY + "/blobs/" + layerDigest;
        }

        String manifestPath() {
            return "/v2/" + REPOSITORY + "/manifests/" + TAG;
        }
    }

    private Registry() {
    }

    /** The registry on {@code port}, pinned to {@code core}. */
    static Servers.Server start(Path work, int port, Integer core) throws IOException, InterruptedException {
        Path dir = work.resolve("registry");
        Files.createDirectories(dir);
        Path config = Files.writeString(dir.resolve("config.yml"), """
                version: 0.1
                log: {level: warn, formatter: text, accesslog: {disabled: true}}
                storage:
                  filesystem: {rootdirectory: %s}
                  maintenance: {uploadpurging: {enabled: false}}
                http: {addr: 127.0.0.1:%d, secret: chartgate-load-test-secret}
                """.formatted(dir.resolve("data"), port));
        Path log = dir.resolve("registry.log");
        Process process = new ProcessBuilder(Servers.pinned(core, List.of(BINARY.toString(), "serve", config.toString())))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return Servers.awaitListening(new Servers.Server("registry", process, log), port, log);
    }

    /** Pushes {@code chart} as helm would, straight to the registry. */
    static Pushed push(int port, byte[] chart) throws IOException, InterruptedException {
        HttpClient http = HttpClient.newHttpClient();
        String base = "http://127.0.0.1:" + port;
        byte[] config = "{\"apiVersion\":\"v2\",\"name\":\"small\",\"version\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8);
        String configDigest = blob(http, base, config);
        String layerDigest = blob(http, base, chart);
        byte[] manifest = """
                {"schemaVersion":2,"mediaType":"%s",\
                "config":{"mediaType":"application/vnd.cncf.helm.config.v1+json","digest":"%s","size":%d},\
                "layers":[{"mediaType":"application/vnd.cncf.helm.chart.content.v1.tar+gzip","digest":"%s","size":%d}]}"""
                .formatted(MANIFEST_TYPE, configDigest, config.length, layerDigest, chart.length)
                .getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> put = http.send(HttpRequest.newBuilder(URI.create(base + "/v2/" + REPOSITORY + "/manifests/" + TAG))
                .header("Content-Type", MANIFEST_TYPE).PUT(HttpRequest.BodyPublishers.ofByteArray(manifest)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (put.statusCode() != 201) {
            throw new IllegalStateException("the registry answered " + put.statusCode() + " to the manifest: " + put.body());
        }
        return new Pushed(layerDigest, manifest, digest(manifest));
    }

    /** The digest the tag points at now, straight from the registry (null when it is gone). */
    static String tagged(int port) throws IOException, InterruptedException {
        HttpResponse<Void> head = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/v2/" + REPOSITORY + "/manifests/" + TAG))
                .header("Accept", MANIFEST_TYPE).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.discarding());
        return head.statusCode() == 200 ? head.headers().firstValue("Docker-Content-Digest").orElse(null) : null;
    }

    private static String blob(HttpClient http, String base, byte[] bytes) throws IOException, InterruptedException {
        String digest = digest(bytes);
        HttpResponse<String> started = http.send(HttpRequest.newBuilder(URI.create(base + "/v2/" + REPOSITORY + "/blobs/uploads/"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        String location = started.headers().firstValue("Location").orElseThrow(() ->
                new IllegalStateException("the registry answered " + started.statusCode() + " to an upload: " + started.body()));
        URI target = URI.create(base).resolve(location + (location.contains("?") ? "&" : "?") + "digest=" + digest);
        HttpResponse<String> put = http.send(HttpRequest.newBuilder(target).header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(), HttpResponse.BodyHandlers.ofString());
        if (put.statusCode() != 201) {
            throw new IllegalStateException("the registry answered " + put.statusCode() + " to a blob: " + put.body());
        }
        return digest;
    }

    static String digest(byte[] bytes) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
