package io.chartgate.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.chartgate.testing.GatewayHarness;
import io.chartgate.testing.HelmCli;
import io.chartgate.testing.IndexCorpus;
import io.chartgate.testing.NginxServer;
import io.chartgate.testing.TestPki;
import io.chartgate.testing.TlsClients;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The index corpus ({@code src/test/resources/index-corpus/}, plus one index the real {@code helm repo index --url}
 * writes at start-up) served by nginx, one directory per repository, with real chart archives packaged by helm for
 * its entries and their real digests, behind the real gateway. helm 3 and 4 must read each repository through the
 * gateway exactly as they read it straight from nginx, and fetch every chart through the gateway.
 */
class IndexCorpusIT {

    /** The repository whose index {@code helm repo index --url} writes here, rather than one committed. */
    private static final String HELM_WRITTEN = "helm-repo-index";
    /** Repositories whose indexes hold no URL under the upstream: the gateway must pass them on byte for byte. */
    private static final List<String> NOTHING_TO_REWRITE = List.of("chart-releaser", "chartmuseum");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    private static TestPki pki;
    private static TestPki.Issued reader;
    private static NginxServer nginx;
    private static GatewayHarness gateway;
    /** Every repository by name, with the versions whose first URL the upstream serves. */
    private static final Map<String, Repository> REPOSITORIES = new TreeMap<>();

    /** A chart version helm must pull, and the upstream file its first URL names. */
    private record Pull(String chart, String version, Path archive) {
    }

    /** A repository nginx serves: its index file, how many chart versions it lists, and those helm can pull. */
    private record Repository(Path index, int versions, List<Pull> pulls) {
    }

    @BeforeAll
    static void start() throws Exception {
        pki = TestPki.create(dir, "Index corpus IT CA");
        pki.server("localhost").issue();
        reader = pki.client("reader").ou("engineering").issue();
        Path root = Files.createDirectories(dir.resolve("www"));
        nginx = NginxServer.start(root);
        HelmCli packager = HelmCli.of("3", dir.resolve("packager"));
        Path work = Files.createDirectories(dir.resolve("work"));
        for (String file : IndexCorpus.files()) {
            String name = IndexCorpus.repositoryName(file);
            REPOSITORIES.put(name, serveCorpusFile(packager, work, file, name));
        }
        REPOSITORIES.put(HELM_WRITTEN, serveHelmWrittenIndex(packager, work));
        StringBuilder routes = new StringBuilder();
        for (String name : REPOSITORIES.keySet()) {
            routes.append("  - { name: ").append(name).append(", prefix: /").append(name)
                    .append(", upstream: { type: http, url: \"").append(upstream(name)).append("/\" } }\n");
        }
        gateway = GatewayHarness.start(dir, """
                server:
                  host: 127.0.0.1
                  port: 0
                  tls: { certFile: localhost.crt, keyFile: localhost.key, clientCaFile: ca.crt }
                admin: { port: 0 }
                routes:
                %spolicy:
                  rules:
                    - { name: engineering, match: { ou: engineering }, read: ["/**"] }
                """.formatted(routes));
    }

    @AfterAll
    static void stop() {
        if (gateway != null) {
            gateway.close();
        }
        if (nginx != null) {
            nginx.close();
        }
    }

    static Stream<Arguments> helmsAndRepositories() {
        return Stream.of("3", "4").flatMap(major -> REPOSITORIES.keySet().stream().map(name -> Arguments.of(major, name)));
    }

    static Stream<Arguments> helmsAndRepositoriesWithChartsToPull() {
        return helmsAndRepositories().filter(a -> !REPOSITORIES.get((String) a.get()[1]).pulls().isEmpty());
    }

    static Stream<String> repositories() {
        return REPOSITORIES.keySet().stream();
    }

    @ParameterizedTest(name = "helm {0}: {1}")
    @MethodSource("helmsAndRepositories")
    void helmSearchFindsTheSameChartsThroughTheGatewayAsDirectly(String major, String name) {
        HelmCli helm = helm(major);
        addBoth(helm, name);
        List<Map<String, String>> direct = search(helm, name + "-direct");
        // helm skips an entry it finds invalid with a mere warning: every version of the corpus must count
        assertEquals(REPOSITORIES.get(name).versions(), direct.size(), () -> "helm skipped versions of " + name + ": " + direct);
        assertEquals(direct, search(helm, name + "-gw"));
    }

    @ParameterizedTest(name = "helm {0}: {1}")
    @MethodSource("helmsAndRepositoriesWithChartsToPull")
    void everyChartIsPulledThroughTheGatewayAndShowsTheSameChartAsDirectly(String major, String name) throws IOException {
        HelmCli helm = helm(major);
        addBoth(helm, name);
        Repository repository = REPOSITORIES.get(name);
        // pulls first, through the gateway only: helm 4 keeps a content cache that a direct `show` would fill
        nginx.clearLog();
        for (Pull pull : repository.pulls()) {
            Path into = Files.createDirectories(dir.resolve("pulls/" + major + "/" + name + "/" + pull.chart() + "-" + pull.version()));
            HelmCli.Result pulled = helm.run(into, "pull", name + "-gw/" + pull.chart(), "--version", pull.version());
            assertTrue(pulled.ok(), () -> pull + ": " + pulled);
            List<Path> saved;
            try (Stream<Path> files = Files.list(into)) {
                saved = files.toList();
            }
            assertEquals(1, saved.size(), () -> pull + " saved " + saved);
            IndexCorpus.assertSameBytes(Files.readAllBytes(pull.archive()), Files.readAllBytes(saved.get(0)));
        }
        Set<String> archives = repository.pulls().stream()
                .map(p -> "/" + name + "/" + repository.index().getParent().relativize(p.archive()).toString().replace('\\', '/'))
                .collect(Collectors.toSet());
        List<NginxServer.ReceivedRequest> fetched = awaitFetched(archives);
        assertEquals(archives, fetched.stream().map(r -> withoutQuery(r.uri())).collect(Collectors.toSet()),
                () -> "nginx saw " + nginx.received());
        for (NginxServer.ReceivedRequest chart : fetched) {
            assertTrue(chart.header("x-request-id") != null, () -> "a chart was fetched around the gateway: " + chart);
        }
        for (Pull pull : repository.pulls()) {
            HelmCli.Result direct = helm.run(dir, "show", "chart", name + "-direct/" + pull.chart(), "--version", pull.version());
            assertTrue(direct.ok(), () -> pull + " directly: " + direct);
            assertEquals(direct.output(), helm.run(dir, "show", "chart", name + "-gw/" + pull.chart(), "--version", pull.version()).output());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("repositories")
    void theIndexThroughTheGatewayIsTheUpstreamsWithOnlyItsChartUrlsMoved(String name) throws Exception {
        byte[] upstream = Files.readAllBytes(REPOSITORIES.get(name).index());
        byte[] served = getThroughGateway("/" + name + "/index.yaml");
        byte[] back = new String(served, StandardCharsets.ISO_8859_1).replace(gateway.url("/" + name + "/"), upstream(name) + "/")
                .getBytes(StandardCharsets.ISO_8859_1);
        IndexCorpus.assertSameBytes(upstream, back);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("nothingToRewrite")
    void anIndexThatNeedsNoRewritingHasTheUpstreamsSha256ThroughTheGateway(String name) throws Exception {
        assertEquals(IndexCorpus.sha256(Files.readAllBytes(REPOSITORIES.get(name).index())),
                IndexCorpus.sha256(getThroughGateway("/" + name + "/index.yaml")));
    }

    static List<String> nothingToRewrite() {
        return NOTHING_TO_REWRITE;
    }

    /**
     * Writes a corpus file as {@code www/NAME/index.yaml} for an upstream at {@code nginx/NAME}, with a real archive
     * for each {@code @DIGEST:CHART-VERSION@} it names, placed at every URL of that version the upstream serves.
     */
    private static Repository serveCorpusFile(HelmCli packager, Path work, String file, String name) throws IOException {
        Path directory = Files.createDirectories(nginx.root().resolve(name));
        byte[] template = IndexCorpus.template(file);
        Set<String> archives = IndexCorpus.archives(template);
        List<Map<String, Object>> versions = versions(IndexCorpus.fill(template, upstream(name), IndexCorpus::fakeDigest));
        Map<String, String> digests = new HashMap<>();
        for (Map<String, Object> version : versions) {
            String archive = version.get("name") + "-" + version.get("version");
            // an entry that aliases another's digest and URLs (a republished archive) gets no archive of its own
            if (archives.contains(archive) && !digests.containsKey(archive)) {
                Path packaged = packageChart(packager, work, name, version);
                digests.put(archive, IndexCorpus.sha256(Files.readAllBytes(packaged)));
                for (Object url : (List<?>) version.get("urls")) {
                    String path = servedPath((String) url, upstream(name));
                    if (path != null) {
                        Files.createDirectories(directory.resolve(path).getParent());
                        Files.copy(packaged, directory.resolve(path), StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
        }
        assertEquals(archives, digests.keySet(), file + ": a digest placeholder names no entry");
        Path index = Files.write(directory.resolve("index.yaml"), IndexCorpus.fill(template, upstream(name), digests::get));
        List<Map<String, Object>> served = versions(Files.readAllBytes(index));
        return new Repository(index, served.size(), pulls(directory, name, served));
    }

    /** A repository as {@code helm repo index --url} writes it, with versions a re-serializer turns into numbers. */
    private static Repository serveHelmWrittenIndex(HelmCli packager, Path work) throws IOException {
        Path served = Files.createDirectories(nginx.root().resolve(HELM_WRITTEN));
        String[][] charts = {{"1.10", "1.0"}, {"0.2.0", "on"}, {"0.1.0", "1e3"}};
        for (String[] chart : charts) {
            Path packaged = packageChart(packager, work, HELM_WRITTEN, Map.of("name", "written", "version", chart[0], "appVersion", chart[1]));
            Files.copy(packaged, served.resolve(packaged.getFileName()));
        }
        HelmCli.Result index = packager.run(work, "repo", "index", served.toString(), "--url", upstream(HELM_WRITTEN));
        assertTrue(index.ok(), index::toString);
        Path file = served.resolve("index.yaml");
        String text = Files.readString(file);
        assertTrue(text.contains("appVersion: \"1.0\"") && text.contains("version: \"1.10\""), text);
        List<Map<String, Object>> versions = versions(Files.readAllBytes(file));
        return new Repository(file, versions.size(), pulls(served, HELM_WRITTEN, versions));
    }

    private static Path packageChart(HelmCli packager, Path work, String repository, Map<String, Object> version) {
        String chart = (String) version.get("name");
        if (!Files.isDirectory(work.resolve(chart))) {
            HelmCli.Result created = packager.run(work, "create", chart);
            assertTrue(created.ok(), created::toString);
        }
        Path out = work.resolve("packages/" + repository);
        List<String> args = new ArrayList<>(List.of("package", chart, "--version", (String) version.get("version"), "-d", out.toString()));
        if (version.get("appVersion") != null) {
            args.addAll(List.of("--app-version", (String) version.get("appVersion")));
        }
        HelmCli.Result packaged = packager.run(work, args.toArray(String[]::new));
        assertTrue(packaged.ok(), packaged::toString);
        return out.resolve(chart + "-" + version.get("version") + ".tgz");
    }

    /** The versions whose first URL the upstream serves, with the file it serves there. */
    private static List<Pull> pulls(Path served, String name, List<Map<String, Object>> versions) {
        List<Pull> pulls = new ArrayList<>();
        for (Map<String, Object> version : versions) {
            String path = servedPath((String) ((List<?>) version.get("urls")).get(0), upstream(name));
            if (path != null) {
                pulls.add(new Pull((String) version.get("name"), (String) version.get("version"), served.resolve(path)));
            }
        }
        return pulls;
    }

    /** Every chart version of an index, read as helm's YAML 1.1 library reads it (JSON is YAML too). */
    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> versions(byte[] index) {
        Map<String, Object> parsed = new Yaml(new SafeConstructor(new LoaderOptions())).load(new ByteArrayInputStream(index));
        List<Map<String, Object>> versions = new ArrayList<>();
        for (Object chart : ((Map<String, Object>) parsed.get("entries")).values()) {
            versions.addAll((List<Map<String, Object>>) chart);
        }
        return versions;
    }

    /** The path under the repository's directory a chart URL names, or null for a URL on another server. */
    private static String servedPath(String url, String upstream) {
        String path;
        if (url.startsWith(upstream + "/")) {
            path = url.substring(upstream.length() + 1);
        } else if (url.contains("://")) {
            return null;
        } else {
            path = url;
        }
        return withoutQuery(path);
    }

    private static String withoutQuery(String uri) {
        int query = uri.indexOf('?');
        return query < 0 ? uri : uri.substring(0, query);
    }

    private static String upstream(String name) {
        return nginx.baseUrl() + "/" + name;
    }

    /** One helm home per major version, shared by every test: helm re-adds a repository it already has as a no-op. */
    private static HelmCli helm(String major) {
        return HelmCli.of(major, dir.resolve("helm-" + major));
    }

    private static void addBoth(HelmCli helm, String name) {
        HelmCli.Result direct = helm.run(dir, "repo", "add", name + "-direct", upstream(name));
        assertTrue(direct.ok(), () -> "helm " + helm.major() + " refused " + name + " served directly: " + direct);
        HelmCli.Result gw = helm.run(dir, "repo", "add", name + "-gw", gateway.url("/" + name), "--cert-file",
                reader.certFile().toString(), "--key-file", reader.keyFile().toString(), "--ca-file", pki.caFile().toString());
        assertTrue(gw.ok(), () -> "helm " + helm.major() + " refused " + name + " through the gateway: " + gw);
    }

    /** {@code helm search repo --versions -o json} for one repository, with the repository's name taken off each chart's. */
    private static List<Map<String, String>> search(HelmCli helm, String repo) {
        HelmCli.Result result = helm.run(dir, "search", "repo", repo + "/", "--versions", "--devel", "-o", "json");
        assertTrue(result.ok(), result::toString);
        // helm's warnings (stderr) come in the same output; the JSON is the line that starts with '['
        String json = result.output().lines().filter(line -> line.startsWith("[")).findFirst()
                .orElseThrow(() -> new AssertionError("no JSON from helm search: " + result));
        List<Map<String, String>> found;
        try {
            found = JSON.readValue(json, new TypeReference<List<Map<String, String>>>() { });
        } catch (IOException e) {
            throw new UncheckedIOException(json, e);
        }
        List<Map<String, String>> charts = new ArrayList<>();
        for (Map<String, String> chart : found) {
            if (chart.get("name").startsWith(repo + "/")) {
                Map<String, String> copy = new LinkedHashMap<>(chart);
                copy.put("name", chart.get("name").substring(repo.length() + 1));
                charts.add(copy);
            }
        }
        return charts;
    }

    private static byte[] getThroughGateway(String path) throws Exception {
        HttpResponse<byte[]> response = TlsClients.http(TlsClients.context(reader, pki.caFile())).send(
                HttpRequest.newBuilder(URI.create(gateway.url(path))).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, response.statusCode(), () -> new String(response.body(), StandardCharsets.UTF_8));
        return response.body();
    }

    /** The chart requests nginx logged, once every one of {@code archives} is among them (or after 10 s). */
    private static List<NginxServer.ReceivedRequest> awaitFetched(Set<String> archives) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            List<NginxServer.ReceivedRequest> charts = nginx.received().stream().filter(r -> withoutQuery(r.uri()).endsWith(".tgz")).toList();
            if (charts.stream().map(r -> withoutQuery(r.uri())).collect(Collectors.toSet()).containsAll(archives)
                    || System.nanoTime() - deadline > 0) {
                return charts;
            }
            LockSupport.parkNanos(Duration.ofMillis(10).toNanos());
        }
    }
}
