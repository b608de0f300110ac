package io.chartgate.loadtest;

import io.chartgate.loadtest.Fixtures.KeyType;
import io.chartgate.loadtest.Servers.Server;
import io.chartgate.tls.PemLoader;
import io.netty.handler.ssl.OpenSslCachingX509KeyManagerFactory;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntPredicate;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.net.ssl.KeyManagerFactory;

/**
 * The side-by-side benchmark: for each scenario, the same load against the upstream directly, against nginx
 * configured as the mTLS gateway, and against chartgate; servers pinned to core 0, this process (the load
 * generator) and the upstream behind the gateways to core 1. Prints a table of throughput, latency and CPU with
 * the ratio to nginx, and writes it to {@code target/load-tests/results.md}.
 *
 * <pre>
 *   load-tests/run              # every scenario, 10 s warm-up and 10 s measured per row
 *   load-tests/run --quick      # a smoke run: 1 s + 2 s per row, fails on any error
 *   load-tests/run --memory     # 200 slow 100 MiB downloads through a 256 MiB heap, RSS over time
 * </pre>
 */
public final class Bench {

    static final int SERVER_CORE = 0;
    static final int CLIENT_CORE = 1;

    /**
     * One line of the list: what is requested, how, and with which key type. {@code chartgatePath}, when
     * not null, is what chartgate is asked for instead of {@code path} (b-filter: its filtering route; nginx and
     * the upstream have no such thing and serve {@code path}).
     */
    record Scenario(String id, String title, String method, String path, String chartgatePath, int connections,
                    boolean handshake, KeyType keys) {

        Scenario(String id, String title, String method, String path, int connections, boolean handshake, KeyType keys) {
            this(id, title, method, path, null, connections, handshake, keys);
        }

        String path(String target) {
            return "chartgate".equals(target) && chartgatePath != null ? chartgatePath : path;
        }
    }

    /** Stand-ins in the OCI rows' paths for what the pushed chart's digests make them. */
    static final String OCI_BLOB = "{oci-blob}";
    static final String OCI_MANIFEST = "{oci-manifest}";

    /**
     * Row a with the servers given both cores: chartgate serves on an event loop per core, nginx with two workers. The
     * load generator and the upstream stay where they are, so they share the servers' cores; the row runs last, with
     * servers of its own.
     */
    static final String TWO_CORES = "a-2core";

    static final List<Scenario> SCENARIOS = List.of(
            new Scenario("a", "3 KB chart, 32 keep-alive connections", "GET", Fixtures.SMALL_CHART, 32, false, KeyType.ECDSA),
            new Scenario("i", "3 KB index.yaml of 4 charts, URLs rewritten, 32 keep-alive connections", "GET",
                    Fixtures.SMALL_INDEX, 32, false, KeyType.ECDSA),
            new Scenario("b", "7.7 MB index.yaml, URLs rewritten", "GET", Fixtures.INDEX, 8, false, KeyType.ECDSA),
            new Scenario("b-filter", "7.7 MB index.yaml filtered per caller to 3.9 MB (nginx, direct: cannot filter,"
                    + " all of it as in b)", "GET", Fixtures.INDEX, Fixtures.FILTERED_INDEX, 8, false, KeyType.ECDSA),
            new Scenario("c", "1 MiB chart download", "GET", Fixtures.BIG_CHART, 16, false, KeyType.ECDSA),
            new Scenario("d", "full handshake per request, ECDSA P-256", "GET", Fixtures.SMALL_CHART, 16, true, KeyType.ECDSA),
            new Scenario("e", "1 MiB upload (PUT)", "PUT", Fixtures.UPLOAD, 8, false, KeyType.ECDSA),
            new Scenario("o-pull", "OCI pull: GET a 3 KB chart layer from a registry (helm pull's blob request),"
                    + " 32 keep-alive connections", "GET", OCI_BLOB, 32, false, KeyType.ECDSA),
            new Scenario("o-push", "OCI push: PUT a chart manifest under its tag (helm push's last request),"
                    + " 8 keep-alive connections", "PUT", OCI_MANIFEST, 8, false, KeyType.ECDSA),
            new Scenario("d-rsa", "full handshake per request, RSA-2048", "GET", Fixtures.SMALL_CHART, 16, true, KeyType.RSA),
            new Scenario(TWO_CORES, "3 KB chart, 32 keep-alive connections, servers on both cores (nginx: 2 workers;"
                    + " the load generator shares them)", "GET", Fixtures.SMALL_CHART, 32, false, KeyType.ECDSA));

    /** Table order: the issue's, with the RSA handshake next to the ECDSA one (it runs last: it restarts chartgate). */
    static final List<String> TABLE_ORDER = List.of("a", TWO_CORES, "i", "b", "b-filter", "c", "d", "d-rsa", "e", "o-pull",
            "o-push");



    static boolean oci(String scenario) {
        return scenario.startsWith("o-");
    }

    static final List<String> TARGETS = List.of("direct", "nginx", "chartgate");

    record Row(Scenario scenario, String target, LoadClient.Result result) {
    }

    public static void main(String[] args) throws Exception {
        // the generator's own TLS is BoringSSL, which the jar carries under a name only TlsEngines loads
        io.chartgate.tls.TlsEngines.select(io.chartgate.config.TlsEngine.BORINGSSL);
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("load-tests: " + e.getMessage());
            System.err.println(Options.USAGE);
            System.exit(2);
            return;
        }
        try {
            System.exit(options.image != null ? ImageRun.run(options)
                    : options.memory ? MemoryRun.run(options) : new Bench(options).run());
        } catch (IllegalStateException e) {
            System.err.println("load-tests: " + e.getMessage());
            System.exit(1);
        }
    }

    private final Options options;
    private final Path work;
    private final List<Server> servers = new ArrayList<>();

    Bench(Options options) {
        this.options = options;
        this.work = options.out.resolve("work");
    }

    int run() throws Exception {
        Options.requireTools(options);
        deleteRecursively(work);
        Files.createDirectories(work);
        Runtime.getRuntime().addShutdownHook(new Thread(this::stopAll));

        int upstreamPort = Servers.freePort();
        Fixtures fixtures = Fixtures.create(work, "http://127.0.0.1:" + upstreamPort + "/", false);
        Map<KeyType, Fixtures.Pki> pki = new EnumMap<>(KeyType.class);
        Map<KeyType, SslContext> clientTls = new EnumMap<>(KeyType.class);
        for (KeyType type : KeyType.values()) {
            Fixtures.Pki p = fixtures.pki(type);
            pki.put(type, p);
            clientTls.put(type, clientContext(p));
        }

        Integer serverCore = options.pin ? SERVER_CORE : null;
        Integer clientCore = options.pin ? CLIENT_CORE : null;
        Map<KeyType, Integer> nginxPorts = new EnumMap<>(KeyType.class);
        List<Servers.Listener> listeners = new ArrayList<>();
        for (KeyType type : KeyType.values()) {
            nginxPorts.put(type, Servers.freePort());
            listeners.add(new Servers.Listener(nginxPorts.get(type), pki.get(type)));
        }
        int directPort = Servers.freePort();
        // the OCI rows' registry, behind both gateways and direct, on the upstream's core
        boolean ociRows = options.scenarios.stream().anyMatch(Bench::oci);
        int registryPort = Servers.freePort();
        Registry.Pushed pushed = null;
        if (ociRows) {
            start(Registry.start(work, registryPort, clientCore));
            pushed = Registry.push(registryPort, Files.readAllBytes(fixtures.docRoot.resolve(Fixtures.SMALL_CHART.substring(1))));
        }
        start(Servers.upstreamNginx("upstream", work, fixtures, upstreamPort, clientCore));
        Server direct = start(Servers.upstreamNginx("direct", work, fixtures, directPort, serverCore));
        Server nginx = start(Servers.mtlsNginx(work, upstreamPort, registryPort, listeners, serverCore));
        Map<KeyType, Integer> chartgatePorts = new EnumMap<>(KeyType.class);
        for (KeyType type : KeyType.values()) {
            chartgatePorts.put(type, Servers.freePort());
        }
        Server chartgate = null;
        KeyType chartgateKeys = null;

        System.out.print(header(fixtures));
        List<Row> rows = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        try (LoadClient client = new LoadClient()) {
            System.out.println("load generator: Netty " + client.transport() + ", one event loop"
                    + (options.pin ? ", pinned to core " + CLIENT_CORE : ""));
            for (Scenario scenario : SCENARIOS) {
                if (!options.scenarios.contains(scenario.id())) {
                    continue;
                }
                for (String target : options.targets) {
                    Server server;
                    int port;
                    SslContext tls = clientTls.get(scenario.keys());
                    if (TWO_CORES.equals(scenario.id())) {
                        if ("direct".equals(target)) {
                            continue; // the plain upstream's ceiling is row a's
                        }
                        if (chartgate != null) {
                            chartgate.close();
                            servers.remove(chartgate);
                            chartgate = null;
                            chartgateKeys = null;
                        }
                    }
                    switch (target) {
                        case "direct" -> {
                            server = direct;
                            port = directPort;
                            tls = null;
                            if (oci(scenario.id())) {
                                server = servers.stream().filter(s -> s.name.equals("registry")).findFirst().orElseThrow();
                                port = registryPort;
                            }
                        }
                        case "nginx" -> {
                            server = nginx;
                            port = nginxPorts.get(scenario.keys());
                            if (TWO_CORES.equals(scenario.id())) {
                                port = Servers.freePort();
                                server = start(Servers.mtlsNginx("nginx-2core", work, upstreamPort, registryPort,
                                        List.of(new Servers.Listener(port, pki.get(scenario.keys()))),
                                        options.pin ? SERVER_CORE + "," + CLIENT_CORE : null, 2));
                            }
                        }
                        default -> {
                            if (TWO_CORES.equals(scenario.id())) {
                                port = Servers.freePort();
                                server = start(Servers.chartgate(work, options.jar, "chartgate-2core", port, Servers.freePort(),
                                        upstreamPort, ociRows ? registryPort : 0, pki.get(scenario.keys()), options.jvmOptions,
                                        options.engine, options.pin ? SERVER_CORE + "," + CLIENT_CORE : null));
                                break;
                            }
                            if (chartgateKeys != scenario.keys()) {
                                if (chartgate != null) {
                                    chartgate.close();
                                    servers.remove(chartgate);
                                }
                                KeyType keys = scenario.keys();
                                chartgate = start(Servers.chartgate(work, options.jar, "chartgate-" + keys.name().toLowerCase(),
                                        chartgatePorts.get(keys), Servers.freePort(), upstreamPort, ociRows ? registryPort : 0,
                                        pki.get(keys),
                                        options.jvmOptions, options.engine, serverCore));
                                chartgateKeys = keys;
                            }
                            server = chartgate;
                            port = chartgatePorts.get(scenario.keys());
                        }
                    }
                    LoadClient.Load load;
                    if (oci(scenario.id())) {
                        // a pull reads the 3 KB layer; a push's manifest PUT is answered 201 with no body
                        boolean push = "PUT".equals(scenario.method());
                        String path = scenario.path(target).replace(OCI_BLOB, pushed.blobPath())
                                .replace(OCI_MANIFEST, pushed.manifestPath());
                        load = new LoadClient.Load("127.0.0.1", port, tls, scenario.method(), path,
                                push ? pushed.manifest() : null, scenario.connections(), false, push ? 0 : Fixtures.SMALL_BYTES,
                                false, Registry.MANIFEST_TYPE);
                    } else {
                        long expected = expectedBytes(scenario, target, fixtures, port, upstreamPort, pki.get(scenario.keys()));
                        load = new LoadClient.Load("127.0.0.1", port, tls, scenario.method(), scenario.path(target),
                                "PUT".equals(scenario.method()) ? fixtures.uploadBody : null, scenario.connections(),
                                scenario.handshake(), expected);
                    }
                    System.out.printf("  %-8s %-10s ...%n", scenario.id(), target);
                    Server measured = server;
                    LongSupplier cpu = measured::cpuNanos;
                    LoadClient.Result result = client.run(load, options.warmup, options.measure, cpu);
                    rows.add(new Row(scenario, target, result));
                    if (TWO_CORES.equals(scenario.id())) {
                        server.close(); // the row's own servers
                        servers.remove(server);
                    }
                    if ("e".equals(scenario.id())) {
                        checkUpload(fixtures, target).ifPresent(problems::add);
                    }
                    if ("o-push".equals(scenario.id()) && !pushed.manifestDigest().equals(Registry.tagged(registryPort))) {
                        problems.add("o-push/" + target + ": the tag no longer points at the pushed manifest");
                    }
                }
            }
        } finally {
            stopAll();
        }
        String table = table(rows);
        System.out.println();
        System.out.println(table);
        Files.writeString(options.out.resolve("results.md"), header(fixtures) + "\n" + table);
        System.out.println("written to " + options.out.resolve("results.md"));
        for (Row row : rows) {
            if (row.result().errors() > 0) {
                problems.add(row.scenario().id() + "/" + row.target() + ": " + row.result().errors() + " errors, first: "
                        + row.result().firstError());
            } else if (row.result().requests() == 0) {
                problems.add(row.scenario().id() + "/" + row.target() + ": no request completed");
            }
        }
        problems.forEach(p -> System.err.println("load-tests: " + p));
        return problems.isEmpty() ? 0 : 1;
    }

    /**
     * The generator's TLS: BoringSSL, the client certificate converted to native form once (not per handshake),
     * and the server certificate verified against the CA. Engines are made without a peer host, so no session is
     * ever resumed and there is no name to match.
     */
    static SslContext clientContext(Fixtures.Pki pki) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("client", PemLoader.privateKey(pki.clientKey(), null), new char[0],
                PemLoader.certificates(pki.clientCert()).toArray(new X509Certificate[0]));
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(store, new char[0]);
        return SslContextBuilder.forClient().sslProvider(SslProvider.OPENSSL)
                .keyManager(new OpenSslCachingX509KeyManagerFactory(keys))
                .trustManager(pki.caCert().toFile())
                .endpointIdentificationAlgorithm(null)
                .build();
    }

    private Server start(Server server) {
        servers.add(server);
        return server;
    }

    private synchronized void stopAll() {
        for (Server server : servers) {
            server.close();
        }
        servers.clear();
    }

    /**
     * The body length every answer must have. For a gateway's index.yaml it is learned from one request made with
     * curl, which also shows the gateway served the right view: see {@link #checkIndex}.
     */
    private long expectedBytes(Scenario scenario, String target, Fixtures fixtures, int port, int upstreamPort,
                               Fixtures.Pki pki) throws IOException, InterruptedException {
        String path = scenario.path(target);
        switch (path) {
            case Fixtures.SMALL_CHART:
                return Fixtures.SMALL_BYTES;
            case Fixtures.BIG_CHART:
                return Fixtures.BIG_BYTES;
            case Fixtures.INDEX:
            case Fixtures.SMALL_INDEX:
            case Fixtures.FILTERED_INDEX:
                if ("direct".equals(target)) {
                    return Fixtures.SMALL_INDEX.equals(path) ? fixtures.smallIndexBytes : fixtures.indexBytes;
                }
                Process curl = new ProcessBuilder("curl", "-sS", "--fail", "--cert", pki.clientCert().toString(),
                        "--key", pki.clientKey().toString(), "--cacert", pki.caCert().toString(),
                        "https://127.0.0.1:" + port + path).redirectError(ProcessBuilder.Redirect.INHERIT).start();
                byte[] body = curl.getInputStream().readAllBytes();
                if (curl.waitFor() != 0) {
                    throw new IllegalStateException(scenario.id() + "/" + target + ": curl could not fetch " + path);
                }
                checkIndex(scenario.id() + "/" + target + ": " + path, path, body, "https://127.0.0.1:" + port + "/",
                        "http://127.0.0.1:" + upstreamPort + "/");
                return body.length;
            default:
                return -1;
        }
    }

    private static final Pattern CHART_NUMBER = Pattern.compile("chart-(\\d+)");

    /**
     * A gateway's index.yaml must be the upstream's with every chart URL pointed at the gateway ({@code publicBase}
     * plus the route's prefix) and nothing else changed: no URL left pointing at {@code upstreamBase}, and, through
     * the filtering route, no chart the caller may not read (every version of the others, byte for byte). The
     * expected view is made by the same generator as the upstream's file, so this compares the whole body, not
     * just its length.
     */
    static void checkIndex(String what, String path, byte[] body, String publicBase, String upstreamBase) {
        IntPredicate keep = Fixtures.FILTERED_INDEX.equals(path) ? Fixtures::granted : chart -> true;
        byte[] expected = switch (path) {
            case Fixtures.SMALL_INDEX -> Fixtures.smallIndex(publicBase);
            case Fixtures.FILTERED_INDEX -> Fixtures.bigIndex(publicBase + Fixtures.FILTERED_PREFIX.substring(1) + "/", keep);
            default -> Fixtures.bigIndex(publicBase, keep);
        };
        String text = new String(body, StandardCharsets.UTF_8);
        if (text.contains(upstreamBase)) {
            throw new IllegalStateException(what + " was not rewritten: it still holds chart URLs under " + upstreamBase);
        }
        Matcher charts = CHART_NUMBER.matcher(text);
        java.util.TreeSet<Integer> outside = new java.util.TreeSet<>();
        while (charts.find()) {
            int chart = Integer.parseInt(charts.group(1));
            if (!keep.test(chart)) {
                outside.add(chart);
            }
        }
        if (!outside.isEmpty()) {
            throw new IllegalStateException(what + " lists " + outside.size() + " charts the certificate may not read (chart-"
                    + outside.stream().limit(5).map(String::valueOf).collect(Collectors.joining(", chart-"))
                    + (outside.size() > 5 ? ", …" : "") + ")");
        }
        int at = Arrays.mismatch(body, expected);
        if (at >= 0) {
            throw new IllegalStateException(what + " is not the expected view: " + body.length + " bytes, expected "
                    + expected.length + "; they differ from byte " + at + ": got \"" + excerpt(body, at)
                    + "\", expected \"" + excerpt(expected, at) + "\"");
        }
    }

    private static String excerpt(byte[] bytes, int at) {
        int from = Math.max(0, Math.min(at, bytes.length) - 40);
        int to = Math.min(bytes.length, at + 40);
        return new String(bytes, from, to - from, StandardCharsets.UTF_8).replace("\n", "\\n");
    }

    /** The chart uploaded last must be on the upstream, byte for byte. */
    private static java.util.Optional<String> checkUpload(Fixtures fixtures, String target) throws IOException {
        Path stored = fixtures.docRoot.resolve(Fixtures.UPLOAD.substring(1));
        if (!Files.exists(stored)) {
            return java.util.Optional.of("e/" + target + ": no uploaded chart reached the upstream");
        }
        boolean same = Arrays.equals(Files.readAllBytes(stored), fixtures.uploadBody);
        Files.delete(stored);
        return same ? java.util.Optional.empty()
                : java.util.Optional.of("e/" + target + ": the chart on the upstream differs from the one uploaded");
    }

    private String header(Fixtures fixtures) {
        return "machine: " + Machine.describe() + "\n"
                + "versions: " + Machine.versions(options.jar) + "\n"
                + "chartgate JVM options: " + String.join(" ", options.jvmOptions) + "\n"
                + String.format(Locale.ROOT, "index.yaml: %.1f MB, 10,000 chart versions (b, b-filter); %.1f KB, %d (i)"
                        + "; runs: %d s warm-up + %d s measured per row%n",
                fixtures.indexBytes / 1e6, fixtures.smallIndexBytes / 1e3, Fixtures.SMALL_INDEX_CHARTS,
                options.warmup.toSeconds(), options.measure.toSeconds())
                + (options.quick ? "quick mode: a smoke run; with 1 s of warm-up the JVM is still compiling, so its figures"
                + " say nothing about speed\n" : "")
                + (options.pin ? "pinning: servers on core " + SERVER_CORE + "; load generator and the gateways' upstream on core "
                + CLIENT_CORE + "\n" : "pinning: off\n");
    }

    static String table(List<Row> rows) {
        Map<String, Double> nginx = rows.stream().filter(r -> "nginx".equals(r.target()))
                .collect(Collectors.toMap(r -> r.scenario().id(), r -> r.result().perSecond()));
        StringBuilder out = new StringBuilder(
                "| scenario | target | req/s | body MiB/s | p50 ms | p99 ms | errors | server CPU | server µs/req | load-gen CPU"
                        + " | vs nginx |\n"
                        + "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (String id : TABLE_ORDER) {
            for (Row row : rows) {
                if (!row.scenario().id().equals(id)) {
                    continue;
                }
                LoadClient.Result r = row.result();
                Double base = nginx.get(id);
                out.append(String.format(Locale.ROOT, "| %s %s | %s | %,.0f | %,.1f | %.2f | %.2f | %d | %.0f%% | %,.0f | %.0f%% | %s |%n",
                        id, row.scenario().title(), row.target(), r.perSecond(), r.bytes() / r.seconds() / (1 << 20),
                        r.latencyMicros().getValueAtPercentile(50) / 1000.0,
                        r.latencyMicros().getValueAtPercentile(99) / 1000.0, r.errors(), r.serverCpu() * 100,
                        r.perSecond() == 0 ? 0.0 : r.serverCpu() * 1e6 / r.perSecond(), r.generatorCpu() * 100,
                        base == null || base == 0 ? "" : String.format(Locale.ROOT, "%.2f×", r.perSecond() / base)));
            }
        }
        return out.toString();
    }

    static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
