package io.chartgate.loadtest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.chartgate.loadtest.Fixtures.KeyType;
import io.chartgate.loadtest.Servers.Server;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The container image run for real ({@code load-tests/run --image IMAGE}; {@code scripts/image-test.sh} builds the
 * image and calls it): as its non-root user, with a read-only root file system, a mounted configuration, the Helm
 * chart's default memory limit and JVM options (read from the chart as helm renders it), /tmp a writable exec
 * directory like the chart's emptyDir, and the host's network, where an nginx upstream serves the load tests'
 * repository. It waits for the image's own health check, sends real mTLS requests through it, then drives the
 * burst: 32 clients on the 7.7 MB index and 200 slow 100 MiB downloads at once. It fails when any request fails,
 * when the container was OOM-killed or restarted, or when SIGTERM does not end it with exit code 0. Before that it
 * runs docker/compose.yaml's services ({@link ComposeRun}).
 */
final class ImageRun {

    static final String CONTAINER = "chartgate-image-test";
    /** The image's HEALTHCHECK asks 127.0.0.1:9090. */
    static final int ADMIN_PORT = 9090;
    static final int INDEX_CLIENTS = 32;
    static final int SLOW_DOWNLOADS = 200;
    private static final long MI = 1L << 20;
    /** The least a standalone install needs, as {@code ChartValuesIT} renders it. */
    private static final String CHART_VALUES = """
            tls: { existingSecret: chartgate-tls }
            clientCa: { secretName: client-ca }
            policy: { rules: [{ name: readers, match: { ou: engineering }, read: ["/**"] }] }
            """;

    private ImageRun() {
    }

    /** The chart's defaults for the gateway container, as helm renders them. */
    record ChartDefaults(String memoryLimit, long memoryLimitBytes, String javaToolOptions) {
    }

    static int run(Options options) throws Exception {
        Options.requireTools(options);
        Path work = options.out.resolve("work-image");
        Bench.deleteRecursively(work);
        Files.createDirectories(work);
        requirePodman(options.image);

        ChartDefaults chart = chartDefaults(work);
        System.out.printf("image %s; the chart's defaults: memory limit %s, JAVA_TOOL_OPTIONS \"%s\"%n", options.image,
                chart.memoryLimit(), chart.javaToolOptions());

        long composeStart = System.nanoTime();
        new ComposeRun(options.image, Path.of("docker/compose.yaml")).run();
        System.out.printf("compose services: %.0f s%n", (System.nanoTime() - composeStart) / 1e9);

        int upstreamPort = Servers.freePort();
        Fixtures fixtures = Fixtures.create(work, "http://127.0.0.1:" + upstreamPort + "/", true);
        Fixtures.Pki pki = fixtures.pki(KeyType.ECDSA);
        int port = Servers.freePort();
        requireFree(ADMIN_PORT);
        Path etc = configuration(work, pki, port, upstreamPort);
        Path tmp = Files.createDirectories(work.resolve("tmp"));
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));
        String publicBase = "https://127.0.0.1:" + port + "/";

        Podman.remove(CONTAINER);
        List<String> problems = new ArrayList<>();
        String report;
        try (Server upstream = Servers.upstreamNginx("upstream", work, fixtures, upstreamPort, options.pin ? Bench.CLIENT_CORE : null)) {
            long started = System.nanoTime();
            Podman.must("run", "-d", "--name", CONTAINER, "--network", "host",
                    "--read-only", "--read-only-tmpfs=false",
                    "--memory", String.valueOf(chart.memoryLimitBytes()), "--memory-swap", String.valueOf(chart.memoryLimitBytes()),
                    "--health-interval", "disable",
                    "-e", "JAVA_TOOL_OPTIONS=" + chart.javaToolOptions(),
                    "-v", etc + ":/etc/chartgate:ro", "-v", tmp + ":/tmp:rw,exec",
                    options.image);
            Podman.awaitHealthy(CONTAINER, 90);
            System.out.printf("healthy %.1f s after podman run%n", (System.nanoTime() - started) / 1e9);
            String log = Podman.run("logs", CONTAINER).output();
            requireNativeLibraries("the image", log);
            int pid = Integer.parseInt(Podman.inspect(CONTAINER, "{{.State.Pid}}"));
            String uid = procStatus(pid, "Uid:").split("\\s+")[0];
            if ("0".equals(uid)) {
                problems.add("the gateway runs as root");
            }
            System.out.println("the gateway's JVM runs as UID " + uid);
            if (Podman.run("exec", CONTAINER, "sh", "-c", "touch /opt/chartgate/x").ok()) {
                problems.add("the root file system is writable");
            }

            problems.addAll(requests(work, pki, fixtures, port, publicBase, upstreamPort));

            report = burst(options, pki, port, publicBase, pid, chart, problems);

            String state = Podman.inspect(CONTAINER, "{{.State.Status}} OOMKilled={{.State.OOMKilled}} restarts={{.RestartCount}}");
            System.out.println("after the burst: " + state);
            if (!state.equals("running OOMKilled=false restarts=0")) {
                problems.add("the container did not survive the burst: " + state + "\n" + tail(Podman.run("logs", CONTAINER).output()));
            } else if (!Podman.run("healthcheck", "run", CONTAINER).ok()) {
                problems.add("the health check fails after the burst");
            }
            Podman.run("stop", "-t", "60", CONTAINER);
            String stopped = Podman.inspect(CONTAINER, "exit code {{.State.ExitCode}}, OOMKilled={{.State.OOMKilled}}");
            System.out.println("after SIGTERM: " + stopped);
            if (!stopped.equals("exit code 0, OOMKilled=false")) {
                problems.add("SIGTERM did not end it cleanly: " + stopped + "\n" + tail(Podman.run("logs", CONTAINER).output()));
            }
        } finally {
            Files.writeString(work.resolve("container.log"), Podman.run("logs", CONTAINER).output());
            Podman.remove(CONTAINER);
        }
        Files.writeString(options.out.resolve("image.md"), "machine: " + Machine.describe() + "\nimage: " + options.image + "\n"
                + "memory limit " + chart.memoryLimit() + ", JAVA_TOOL_OPTIONS " + chart.javaToolOptions() + "\n" + report);
        System.out.println("written to " + options.out.resolve("image.md") + "; the container's log: " + work.resolve("container.log"));
        if (!problems.isEmpty()) {
            problems.forEach(p -> System.err.println("image test: " + p));
            return 1;
        }
        return 0;
    }

    /** A plain failure, never a skip, where podman is missing or cannot run a container on this machine. */
    private static void requirePodman(String image) throws IOException, InterruptedException {
        Podman.Result version;
        try {
            version = Podman.run("version", "--format", "{{.Client.Version}}");
        } catch (IOException e) {
            throw new IllegalStateException("podman is not installed (apt-get install podman runc; scripts/test.sh does)");
        }
        if (!version.ok()) {
            throw new IllegalStateException("podman does not work here: " + version.output());
        }
        Podman.Result probe = Podman.run("run", "--rm", "--network", "none", "--entrypoint", "/bin/true", image);
        if (!probe.ok()) {
            throw new IllegalStateException("podman cannot run a container on this machine (" + probe.output().trim()
                    + "); the image test needs it (runc, and runtime = \"runc\" in /etc/containers/containers.conf)");
        }
    }

    private static void requireFree(int port) throws IOException {
        try (var socket = new java.net.ServerSocket()) {
            socket.bind(new java.net.InetSocketAddress("127.0.0.1", port));
        } catch (IOException e) {
            throw new IllegalStateException("port " + port + " is taken on this machine; the image's HEALTHCHECK asks"
                    + " 127.0.0.1:" + port + " and the container shares the host's network");
        }
    }

    /** The gateway container's memory limit and JVM options in the chart's default rendering, by the real helm. */
    static ChartDefaults chartDefaults(Path work) throws IOException, InterruptedException {
        Path values = Files.writeString(work.resolve("chart-values.yaml"), CHART_VALUES);
        Path helm = Path.of(".cache/helm/v4/helm");
        if (!Files.isExecutable(helm)) {
            throw new IllegalStateException(helm + " is missing; run scripts/fetch-helm.sh (scripts/test.sh does)");
        }
        ProcessBuilder builder = new ProcessBuilder(helm.toString(), "template", "gw", "helm-chart/chartgate", "-f", values.toString())
                .redirectErrorStream(true);
        for (String home : List.of("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME")) {
            builder.environment().put(home, work.resolve("helm").toString());
        }
        Process process = builder.start();
        String rendered = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (process.waitFor() != 0) {
            throw new IllegalStateException("helm template failed:\n" + rendered);
        }
        YAMLMapper yaml = new YAMLMapper();
        try (var parser = yaml.createParser(rendered)) {
            var docs = yaml.readValues(parser, JsonNode.class);
            while (docs.hasNext()) {
                JsonNode doc = docs.next();
                if (doc != null && "Deployment".equals(doc.path("kind").asText())) {
                    JsonNode gateway = doc.at("/spec/template/spec/containers/0");
                    String limit = gateway.at("/resources/limits/memory").asText();
                    for (JsonNode env : gateway.path("env")) {
                        if ("JAVA_TOOL_OPTIONS".equals(env.path("name").asText())) {
                            return new ChartDefaults(limit, quantity(limit), env.path("value").asText());
                        }
                    }
                }
            }
        }
        throw new IllegalStateException("the rendered chart has no gateway container with JAVA_TOOL_OPTIONS");
    }

    static long quantity(String value) {
        Matcher m = Pattern.compile("(\\d+)(Ki|Mi|Gi)?").matcher(value);
        if (!m.matches()) {
            throw new IllegalStateException("cannot read the memory limit " + value);
        }
        long n = Long.parseLong(m.group(1));
        return m.group(2) == null ? n : n << switch (m.group(2)) {
            case "Ki" -> 10;
            case "Mi" -> 20;
            default -> 30;
        };
    }

    /** The configuration directory mounted read-only at /etc/chartgate, readable by the image's user. */
    private static Path configuration(Path work, Fixtures.Pki pki, int port, int upstreamPort) throws IOException {
        Path etc = Files.createDirectories(work.resolve("etc"));
        Path certs = Files.createDirectories(etc.resolve("certs"));
        for (Path file : List.of(pki.caCert(), pki.serverCert(), pki.serverKey())) {
            Path copy = Files.copy(file, certs.resolve(file.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rw-r--r--"));
        }
        Files.writeString(etc.resolve("chartgate.yaml"), """
                server:
                  host: 127.0.0.1
                  port: %d
                  publicUrl: https://127.0.0.1:%d
                  tls: { certFile: certs/server.crt, keyFile: certs/server.key, clientCaFile: certs/ca.crt }
                admin: { host: 127.0.0.1, port: %d }
                routes:
                  - { name: charts, prefix: /, upstream: { type: http, url: "http://127.0.0.1:%d/" } }
                policy:
                  rules:
                    - { name: bench, match: { cn: %s }, read: ["/**"], write: ["/upload/**"] }
                """.formatted(port, port, ADMIN_PORT, upstreamPort, Fixtures.CLIENT_CN));
        for (Path dir : List.of(work, etc, certs)) {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        return etc;
    }

    /** Native epoll and BoringSSL loaded: no fallback line at start. */
    static void requireNativeLibraries(String what, String log) {
        if (!log.contains("network transport: native (epoll)") || !log.contains("TLS engine: boringssl (BoringSSL)") || log.contains("WARNING: chartgate:")) {
            throw new IllegalStateException(what + " fell back from its native libraries (is /tmp noexec?):\n" + tail(log));
        }
    }

    /** Real mTLS requests through the container with curl: reads, a write, a denied write, no certificate. */
    private static List<String> requests(Path work, Fixtures.Pki pki, Fixtures fixtures, int port, String publicBase,
                                         int upstreamPort) throws IOException, InterruptedException {
        List<String> problems = new ArrayList<>();
        Path out = work.resolve("curl-out");
        List<String> mtls = List.of("--cacert", pki.caCert().toString(), "--cert", pki.clientCert().toString(),
                "--key", pki.clientKey().toString());
        String index = curl(mtls, "GET", publicBase + "index.yaml", out, null);
        if (!index.equals("200")) {
            problems.add("GET /index.yaml: " + index);
        } else {
            try {
                Bench.checkIndex("the image's index.yaml", Fixtures.INDEX, Files.readAllBytes(out), publicBase,
                        "http://127.0.0.1:" + upstreamPort + "/");
            } catch (IllegalStateException e) {
                problems.add(e.getMessage());
            }
        }
        String chart = curl(mtls, "GET", publicBase + Fixtures.BIG_CHART.substring(1), out, null);
        if (!chart.equals("200") || Files.mismatch(out, fixtures.docRoot.resolve(Fixtures.BIG_CHART.substring(1))) != -1) {
            problems.add("GET " + Fixtures.BIG_CHART + ": " + chart + ", or not the upstream's bytes");
        }
        Path upload = Files.write(work.resolve("upload.tgz"), fixtures.uploadBody);
        String put = curl(mtls, "PUT", publicBase + "upload/image-test-1.0.0.tgz", out, upload);
        if (!put.equals("201") && !put.equals("204")
                || Files.mismatch(upload, fixtures.docRoot.resolve("upload/image-test-1.0.0.tgz")) != -1) {
            problems.add("PUT /upload/image-test-1.0.0.tgz: " + put + ", or the upload did not arrive byte for byte");
        }
        String denied = curl(mtls, "PUT", publicBase + "charts/evil-1.0.0.tgz", out, upload);
        if (!denied.equals("403")) {
            problems.add("PUT /charts/evil-1.0.0.tgz: " + denied + ", expected 403 (the policy grants writes under /upload/ only)");
        }
        String anonymous = curl(List.of("--cacert", pki.caCert().toString()), "GET", publicBase + "index.yaml", out, null);
        if (!anonymous.startsWith("curl exit")) {
            problems.add("GET without a client certificate: " + anonymous + ", expected a refused handshake");
        }
        System.out.printf("mTLS requests: GET index.yaml %s, GET 1 MiB chart %s, PUT %s, PUT outside the policy %s, no certificate: %s%n",
                index, chart, put, denied, anonymous);
        return problems;
    }

    /** The status curl got, or {@code curl exit N} when it got none. */
    private static String curl(List<String> tls, String method, String url, Path out, Path body)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("curl", "-sS", "-o", out.toString(), "-w", "%{http_code}", "-X", method));
        command.addAll(tls);
        if (body != null) {
            command.addAll(List.of("--data-binary", "@" + body));
        }
        command.add(url);
        Process process = new ProcessBuilder(command).redirectErrorStream(false).start();
        String status = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        int exit = process.waitFor();
        return exit == 0 ? status : "curl exit " + exit;
    }

    /**
     * 32 clients on the big index and 200 slow downloads of the 100 MiB chart at once, for the run's measured
     * seconds, while the container's memory (cgroup), the JVM's RSS, heap and direct buffers are sampled.
     */
    private static String burst(Options options, Fixtures.Pki pki, int port, String publicBase, int pid, ChartDefaults chart,
                                List<String> problems) throws Exception {
        long indexBytes = Fixtures.bigIndex(publicBase, c -> true).length;
        var tls = Bench.clientContext(pki);
        LoadClient.Load index = new LoadClient.Load("127.0.0.1", port, tls, "GET", Fixtures.INDEX, null, INDEX_CLIENTS, false,
                indexBytes);
        LoadClient.Load slow = new LoadClient.Load("127.0.0.1", port, tls, "GET", Fixtures.HUGE_CHART, null, SLOW_DOWNLOADS,
                false, 100L << 20, true);
        Path cgroup = memoryCgroup(pid);
        Memory memory = new Memory();
        System.out.printf("burst: %d clients on the %.1f MB index and %d slow 100 MiB downloads, %d s, under a %s limit%n",
                INDEX_CLIENTS, indexBytes / 1e6, SLOW_DOWNLOADS, options.measure.toSeconds(), chart.memoryLimit());
        LoadClient.Result[] results = new LoadClient.Result[2];
        long[] streamed = new long[1];
        try (LoadClient indexClient = new LoadClient(); LoadClient slowClient = new LoadClient()) {
            Thread slowThread = new Thread(() -> {
                try {
                    results[1] = slowClient.run(slow, Duration.ZERO, options.measure, () -> 0L);
                    streamed[0] = slowClient.streamed();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "slow-downloads");
            Thread sampler = new Thread(() -> memory.sample(pid, cgroup), "memory-sampler");
            sampler.setDaemon(true);
            sampler.start();
            slowThread.start();
            results[0] = indexClient.run(index, Duration.ZERO, options.measure, () -> 0L);
            slowThread.join();
            sampler.interrupt();
            sampler.join();
        }
        LoadClient.Result idx = results[0];
        LoadClient.Result dl = results[1];
        String report = String.format(Locale.ROOT, """
                index: %d requests (%.1f/s, %.0f MB/s), p99 %.0f ms, %d errors%s
                slow downloads: %.0f MB streamed (%.0f MB/s), %d errors%s
                memory (limit %d MiB): container cgroup peak %d MiB (%s), JVM RSS max %d MiB, heap used max %d MiB, direct buffers max %d MiB
                """,
                idx.requests(), idx.perSecond(), idx.bytes() / 1e6 / idx.seconds(), idx.latencyMicros().getValueAtPercentile(99) / 1000.0,
                idx.errors(), idx.firstError() == null ? "" : " (first: " + idx.firstError() + ")",
                streamed[0] / 1e6, streamed[0] / 1e6 / options.measure.toSeconds(), dl.errors(),
                dl.firstError() == null ? "" : " (first: " + dl.firstError() + ")",
                chart.memoryLimitBytes() / MI, memory.cgroupPeak(cgroup) / MI, memory.cgroupSource(cgroup),
                memory.rssMax.get() / MI, memory.heapMax.get() / MI, memory.directMax.get() / MI);
        System.out.print(report);
        if (idx.errors() > 0 || idx.requests() == 0) {
            problems.add("index burst: " + idx.requests() + " requests, " + idx.errors() + " errors, first: " + idx.firstError());
        }
        if (dl.errors() > 0 || streamed[0] == 0) {
            problems.add("slow downloads: " + streamed[0] + " bytes, " + dl.errors() + " errors, first: " + dl.firstError());
        }
        return report;
    }

    /** The container's memory cgroup directory on the host (v1 or unified), from /proc/PID/cgroup. */
    private static Path memoryCgroup(int pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/cgroup"))) {
            String[] parts = line.split(":", 3);
            if (parts.length == 3 && List.of(parts[1].split(",")).contains("memory")) {
                return Path.of("/sys/fs/cgroup/memory" + parts[2]);
            }
        }
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/cgroup"))) {
            if (line.startsWith("0::")) {
                return Path.of("/sys/fs/cgroup" + line.substring(3));
            }
        }
        return null;
    }

    private static String procStatus(int pid, String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith(field)) {
                return line.substring(field.length()).trim();
            }
        }
        return "";
    }

    /** Maxima of the memory readings taken during the burst. */
    private static final class Memory {
        final AtomicLong rssMax = new AtomicLong();
        final AtomicLong cgroupMax = new AtomicLong();
        final AtomicLong heapMax = new AtomicLong();
        final AtomicLong directMax = new AtomicLong();

        void sample(int pid, Path cgroup) {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
            HttpRequest metrics = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ADMIN_PORT + "/metrics"))
                    .timeout(Duration.ofSeconds(2)).build();
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    try {
                        rssMax.accumulateAndGet(Long.parseLong(procStatus(pid, "VmRSS:").replaceAll("[^0-9]", "")) * 1024, Math::max);
                        if (cgroup != null) {
                            Path usage = Files.exists(cgroup.resolve("memory.usage_in_bytes"))
                                    ? cgroup.resolve("memory.usage_in_bytes") : cgroup.resolve("memory.current");
                            cgroupMax.accumulateAndGet(Long.parseLong(Files.readString(usage).trim()), Math::max);
                        }
                        String text = http.send(metrics, HttpResponse.BodyHandlers.ofString()).body();
                        heapMax.accumulateAndGet(sum(text, "jvm_memory_used_bytes{", "area=\"heap\""), Math::max);
                        directMax.accumulateAndGet(sum(text, "jvm_buffer_memory_used_bytes{", "id=\"direct\""), Math::max);
                    } catch (IOException | NumberFormatException e) {
                        // the process may be between samples of a busy moment; the next one counts
                    }
                    Thread.sleep(1000);
                }
            } catch (InterruptedException e) {
                // the burst is over
            }
        }

        private static long sum(String metrics, String name, String label) {
            double total = 0;
            for (String line : metrics.split("\n")) {
                if (line.startsWith(name) && line.contains(label)) {
                    total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
            return (long) total;
        }

        /** The cgroup's own high-water mark where it keeps one (v1 max_usage, v2 memory.peak), else the sampled maximum. */
        long cgroupPeak(Path cgroup) {
            for (String file : List.of("memory.max_usage_in_bytes", "memory.peak")) {
                try {
                    if (cgroup != null && Files.exists(cgroup.resolve(file))) {
                        return Long.parseLong(Files.readString(cgroup.resolve(file)).trim());
                    }
                } catch (IOException | NumberFormatException e) {
                    // fall back to the samples
                }
            }
            return cgroupMax.get();
        }

        String cgroupSource(Path cgroup) {
            if (cgroup != null && Files.exists(cgroup.resolve("memory.max_usage_in_bytes"))) {
                return "memory.max_usage_in_bytes, page cache included";
            }
            return cgroup != null && Files.exists(cgroup.resolve("memory.peak")) ? "memory.peak" : "sampled every second";
        }
    }

    private static String tail(String log) {
        List<String> lines = log.lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    }
}
