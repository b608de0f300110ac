package io.chartgate.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.chartgate.testing.GatewayHarness;
import io.chartgate.testing.HelmCli;
import io.chartgate.testing.NginxServer;
import io.chartgate.testing.S3ProxyServer;
import io.chartgate.testing.TestPki;
import io.chartgate.testing.TlsClients;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * {@code filterIndex: true}: every caller's index holds only the chart versions whose chart URL (resolved as helm
 * resolves it, at the gateway path it is fetched from) the policy lets it read, on http, s3 and file routes, as
 * helm 3 and 4 see it. The filter is a view: a download is still decided by the policy. Callers matching the same
 * rules share one cached view and its ETag; removing versions leaves every other byte of the upstream's index.
 *
 * <p>The repository: {@code team-a/} holds alpha 0.1.0 and 0.2.0, mixed 1.0.0 and delta 0.1.0 (a relative URL);
 * {@code team-b/} holds beta 0.1.0 and 0.2.0, mixed 2.0.0 and gamma 0.1.0 (a relative URL); outside 0.1.0 points at
 * another host. bob and bob2 (OU team-a) read index files and {@code team-a/}; alice (OU admins) reads everything.
 */
class IndexFilterIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Every version of the repository, as {@code chart@version}. */
    private static final Set<String> EVERY_VERSION = Set.of("alpha@0.1.0", "alpha@0.2.0", "beta@0.1.0", "beta@0.2.0",
            "mixed@1.0.0", "mixed@2.0.0", "delta@0.1.0", "gamma@0.1.0", "outside@0.1.0");
    /** What a team-a caller's index holds: team-a's versions, and the one elsewhere, which the gateway cannot judge. */
    private static final Set<String> TEAM_A_VIEW = Set.of("alpha@0.1.0", "alpha@0.2.0", "mixed@1.0.0", "delta@0.1.0",
            "outside@0.1.0");
    /** The archives kept under team-a/; every other one is under team-b/. */
    private static final Set<String> TEAM_A_ARCHIVES = Set.of("alpha-0.1.0.tgz", "alpha-0.2.0.tgz", "mixed-1.0.0.tgz",
            "delta-0.1.0.tgz");
    private static final String ELSEWHERE = "https://elsewhere.example/outside-0.1.0.tgz";
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    static Path dir;

    private static TestPki pki;
    private static TestPki.Issued bob;
    private static TestPki.Issued bob2;
    private static TestPki.Issued alice;
    private static Map<TestPki.Issued, HttpClient> clients;
    private static NginxServer nginx;
    private static S3ProxyServer s3;
    private static GatewayHarness gateway;
    private static HelmCli packager;
    /** Every packaged archive, by file name. */
    private static Path packaged;

    @BeforeAll
    static void start() throws Exception {
        pki = TestPki.create(dir, "Index Filter CA");
        pki.server("localhost").issue();
        bob = pki.client("bob").ou("team-a").issue();
        bob2 = pki.client("bob2").ou("team-a").issue();
        alice = pki.client("alice").ou("admins").issue();
        clients = Map.of(bob, client(bob), bob2, client(bob2), alice, client(alice));
        packager = HelmCli.of("3", dir.resolve("packager"));
        packaged = packageCharts();
        Path www = Files.createDirectories(dir.resolve("www"));
        nginx = NginxServer.start(www);
        s3 = S3ProxyServer.start(dir, "charts");

        // http: the index helm writes with --url (absolute under the upstream), one relative URL per team, one elsewhere
        Path repo = layOut(www.resolve("repo"));
        String httpBase = nginx.baseUrl() + "/repo";
        assertTrue(packager.run(dir, "repo", "index", repo.toString(), "--url", httpBase).ok());
        editUrls(repo.resolve("index.yaml"), Map.of(
                httpBase + "/team-a/delta-0.1.0.tgz", "team-a/delta-0.1.0.tgz",
                httpBase + "/team-b/gamma-0.1.0.tgz", "team-b/gamma-0.1.0.tgz",
                httpBase + "/team-b/outside-0.1.0.tgz", ELSEWHERE));

        // file: the index helm writes without --url (every URL relative), one elsewhere
        Path files = layOut(dir.resolve("files"));
        assertTrue(packager.run(dir, "repo", "index", files.toString()).ok());
        editUrls(files.resolve("index.yaml"), Map.of("team-b/outside-0.1.0.tgz", ELSEWHERE));
        Files.createDirectories(dir.resolve("nested"));

        Files.createDirectories(www.resolve("big"));
        Files.writeString(www.resolve("big/index.yaml"), bigIndex(nginx.baseUrl() + "/big", null).upstream());

        gateway = GatewayHarness.start(dir, """
                server:
                  host: 127.0.0.1
                  port: 0
                  tls: { certFile: localhost.crt, keyFile: localhost.key, clientCaFile: ca.crt }
                  # no upstream index changes once read (s3 uploads go through the gateway, which drops its copy),
                  # and the cache tests count upstream fetches: no revalidation may interleave
                  limits: { indexRevalidateMillis: 600000 }
                admin: { port: 0 }
                routes:
                  - { name: charts, prefix: /charts, upstream: { type: http, url: "%1$s/repo/", filterIndex: true } }
                  - { name: shared, prefix: /shared, upstream: { type: http, url: "%1$s/repo/", filterIndex: true } }
                  - { name: plain, prefix: /plain, upstream: { type: http, url: "%1$s/repo/" } }
                  - { name: big, prefix: /big, upstream: { type: http, url: "%1$s/big/", filterIndex: true } }
                  - { name: big-view, prefix: /big-view, upstream: { type: http, url: "%1$s/big/", filterIndex: true } }
                  - name: bucket
                    prefix: /s3
                    upstream: { type: s3, endpoint: "%2$s", bucket: charts, region: us-east-1, pathStyle: true,
                                accessKeyId: %3$s, secretAccessKey: %4$s, filterIndex: true }
                  - { name: files, prefix: /files, upstream: { type: file, dir: files, filterIndex: true } }
                  - { name: nested, prefix: /nested, upstream: { type: file, dir: nested, filterIndex: true } }
                policy:
                  rules:
                    - { name: team-a, match: { ou: team-a }, read: ["/**/index.yaml", "/**/team-a/**"] }
                    - { name: admins, match: { ou: admins }, read: ["/**"], write: ["/s3/**"] }
                """.formatted(nginx.baseUrl(), s3.endpoint(), S3ProxyServer.IDENTITY, S3ProxyServer.CREDENTIAL));

        // s3: both URL forms of the bucket (s3:// and the endpoint's), relative ones, and one elsewhere
        String index = Files.readString(files.resolve("index.yaml"));
        String endpoint = s3.endpoint() + "/charts/";
        index = edit(index, Map.of(
                "team-a/alpha-0.1.0.tgz", "s3://charts/team-a/alpha-0.1.0.tgz",
                "team-a/alpha-0.2.0.tgz", endpoint + "team-a/alpha-0.2.0.tgz",
                "team-a/mixed-1.0.0.tgz", "s3://charts/team-a/mixed-1.0.0.tgz",
                "team-b/beta-0.1.0.tgz", "s3://charts/team-b/beta-0.1.0.tgz",
                "team-b/beta-0.2.0.tgz", endpoint + "team-b/beta-0.2.0.tgz",
                "team-b/mixed-2.0.0.tgz", endpoint + "team-b/mixed-2.0.0.tgz"));
        try (var archives = Files.list(packaged)) {
            for (Path archive : archives.toList()) {
                assertEquals(200, put("/s3/" + team(archive.getFileName().toString()) + "/" + archive.getFileName(),
                        Files.readAllBytes(archive)));
            }
        }
        assertEquals(200, put("/s3/index.yaml", index.getBytes(StandardCharsets.UTF_8)));
    }

    @AfterAll
    static void stop() {
        if (gateway != null) {
            gateway.close();
        }
        if (s3 != null) {
            s3.close();
        }
        if (nginx != null) {
            nginx.close();
        }
    }

    // ---- helm 3 and 4 on every kind of route ------------------------------------------------------------------

    @ParameterizedTest(name = "helm {0}, {1}")
    @CsvSource({"3, /charts", "4, /charts", "3, /s3", "4, /s3", "3, /files", "4, /files"})
    void helmSearchShowsACallerOnlyTheVersionsItMayReadAndThoseElsewhere(String major, String prefix) throws Exception {
        HelmCli helm = helm(major, prefix, "search-bob");
        addRepository(helm, bob, prefix);
        assertEquals(new TreeSet<>(TEAM_A_VIEW), searchAll(helm));
    }

    @ParameterizedTest(name = "helm {0}, {1}")
    @CsvSource({"3, /charts", "4, /charts", "3, /s3", "4, /s3", "3, /files", "4, /files"})
    void helmSearchShowsACallerWhoMayReadEverythingEveryVersion(String major, String prefix) throws Exception {
        HelmCli helm = helm(major, prefix, "search-alice");
        addRepository(helm, alice, prefix);
        assertEquals(new TreeSet<>(EVERY_VERSION), searchAll(helm));
    }

    @ParameterizedTest(name = "helm {0}, {1}")
    @CsvSource({"3, /charts", "4, /charts", "3, /s3", "4, /s3", "3, /files", "4, /files"})
    void helmPullsAChartTheCallerMayReadThroughTheGateway(String major, String prefix) throws Exception {
        HelmCli helm = helm(major, prefix, "pull-bob");
        addRepository(helm, bob, prefix);
        int logged = gateway.log().size();
        int nginxLogged = nginx.received().size();
        Path pulls = Files.createDirectories(dir.resolve("pulls-" + major + prefix.replace('/', '-')));
        // alpha 0.2.0 has an absolute URL (the endpoint's form on s3); delta's is relative
        for (String chart : List.of("alpha", "delta")) {
            String version = chart.equals("alpha") ? "0.2.0" : "0.1.0";
            HelmCli.Result pull = helm.run(pulls, "pull", "r/" + chart, "--version", version);
            assertTrue(pull.ok(), pull::toString);
            String archive = chart + "-" + version + ".tgz";
            assertArrayEquals(Files.readAllBytes(packaged.resolve(archive)), Files.readAllBytes(pulls.resolve(archive)));
            String path = prefix + "/team-a/" + archive;
            awaitGatewayLog(logged, e -> path.equals(e.get("path")) && Integer.valueOf(200).equals(e.get("status"))
                    && String.valueOf(e.get("subject")).startsWith("CN=bob,"));
            if (prefix.equals("/charts")) {
                awaitNginx(nginxLogged, r -> r.uri().equals("/repo/team-a/" + archive) && r.header("x-request-id") != null);
            }
        }
    }

    @ParameterizedTest(name = "helm {0}, {1}")
    @CsvSource({"3, /charts", "4, /charts", "3, /s3", "4, /s3", "3, /files", "4, /files"})
    void helmCannotFindAChartWhoseEveryVersionIsFilteredOut(String major, String prefix) throws Exception {
        HelmCli helm = helm(major, prefix, "absent-bob");
        addRepository(helm, bob, prefix);
        Path pulls = Files.createDirectories(dir.resolve("absent-" + major + prefix.replace('/', '-')));
        HelmCli.Result pull = helm.run(pulls, "pull", "r/beta");
        assertFalse(pull.ok(), pull::toString);
        assertTrue(pull.output().contains("chart \"beta\"") && pull.output().contains("not found in r index"), pull::toString);
    }

    // ---- the index document, over plain HTTPS ------------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"/charts", "/s3", "/files"})
    void aChartWhoseEveryVersionIsFilteredOutLeavesNoEntryInTheIndex(String prefix) throws Exception {
        HttpResponse<byte[]> index = get(bob, prefix + "/index.yaml");
        assertEquals(200, index.statusCode());
        assertEquals(Set.of("alpha", "mixed", "delta", "outside"), entries(index.body()).keySet(), () -> text(index));
        assertFalse(text(index).contains("beta"), () -> text(index));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"/charts", "/s3", "/files"})
    void aDirectRequestForAChartTheIndexHidesIsStillForbidden(String prefix) throws Exception {
        String path = prefix + "/team-b/beta-0.1.0.tgz";
        assertEquals(200, get(alice, path).statusCode(), "the archive is there for whoever may read it");
        HttpResponse<byte[]> denied = get(bob, path);
        assertEquals(403, denied.statusCode());
        assertEquals("forbidden", JSON.readTree(denied.body()).path("error").asText(), () -> text(denied));
    }

    @Test
    void callersMatchingTheSameRulesGetTheSameETagFromOneCachedView() throws Exception {
        int views = gateway.indexCache().views();
        HttpResponse<byte[]> first = get(bob, "/shared/index.yaml");
        assertEquals(200, first.statusCode());
        assertEquals(views + 1, gateway.indexCache().views());
        HttpResponse<byte[]> second = get(bob2, "/shared/index.yaml");
        assertEquals(200, second.statusCode());
        assertEquals(views + 1, gateway.indexCache().views(), "bob2's request is served bob's view");
        assertEquals(etag(first), etag(second));
        assertArrayEquals(first.body(), second.body());
    }

    @Test
    void aCallerMatchingOtherRulesGetsAnotherViewWithItsOwnETag() throws Exception {
        HttpResponse<byte[]> bobs = get(bob, "/charts/index.yaml");
        HttpResponse<byte[]> alices = get(alice, "/charts/index.yaml");
        assertEquals(TEAM_A_VIEW, versions(bobs.body()));
        assertEquals(EVERY_VERSION, versions(alices.body()));
        assertNotEquals(etag(bobs), etag(alices));
    }

    @Test
    void ifNoneMatchWithTheCallersOwnETagIs304AndWithAnotherViewsETagIs200() throws Exception {
        HttpResponse<byte[]> bobs = get(bob, "/charts/index.yaml");
        String alicesEtag = etag(get(alice, "/charts/index.yaml"));
        HttpResponse<byte[]> notModified = get(bob, "/charts/index.yaml", "If-None-Match", etag(bobs));
        assertEquals(304, notModified.statusCode());
        assertEquals(0, notModified.body().length);
        HttpResponse<byte[]> other = get(bob, "/charts/index.yaml", "If-None-Match", alicesEtag);
        assertEquals(200, other.statusCode(), "alice's ETag does not validate bob's view");
        assertEquals(etag(bobs), etag(other));
        assertArrayEquals(bobs.body(), other.body());
    }

    @Test
    void withoutFilterIndexEveryCallerGetsTheWholeIndex() throws Exception {
        HttpResponse<byte[]> bobs = get(bob, "/plain/index.yaml");
        HttpResponse<byte[]> alices = get(alice, "/plain/index.yaml");
        assertEquals(200, bobs.statusCode());
        assertEquals(EVERY_VERSION, versions(bobs.body()));
        assertArrayEquals(alices.body(), bobs.body());
        assertEquals(etag(alices), etag(bobs));
    }

    // ---- a large index -----------------------------------------------------------------------------------------

    @Test
    void aFilteredTenThousandVersionIndexIsFetchedOnceAndThenServedFromTheCache() throws Exception {
        HttpResponse<byte[]> first = get(bob, "/big/index.yaml", "X-Request-Id", "big-first");
        HttpResponse<byte[]> second = get(bob, "/big/index.yaml", "X-Request-Id", "big-second");
        assertEquals(200, first.statusCode(), () -> text(first));
        assertEquals(200, second.statusCode());
        assertArrayEquals(first.body(), second.body());
        assertEquals(etag(first), etag(second));
        // nginx logs a request once it has sent the answer; a marker sent after both means both fetches are logged
        int markers = nginx.received().size();
        HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(nginx.baseUrl() + "/marker-big")).build(),
                HttpResponse.BodyHandlers.discarding());
        awaitNginx(markers, r -> r.uri().equals("/marker-big"));
        List<String> fetches = nginx.received().stream()
                .filter(r -> r.uri().equals("/big/index.yaml") && r.header("x-request-id") != null
                        && r.header("x-request-id").startsWith("big-"))
                .map(r -> r.header("x-request-id")).toList();
        assertEquals(List.of("big-first"), fetches, "only the first request reached the upstream");
    }

    @Test
    void aFilteredTenThousandVersionIndexHoldsOnlyReadableVersionsInTheUpstreamsOwnBytes() throws Exception {
        String gatewayBase = gateway.url("/big-view");
        BigIndex expected = bigIndex(nginx.baseUrl() + "/big", gatewayBase);
        assertEquals(expected.upstream(), Files.readString(nginx.root().resolve("big/index.yaml")));
        assertTrue(expected.upstream().length() > 6_000_000, "about 7 MB: " + expected.upstream().length());
        HttpResponse<byte[]> response = get(bob, "/big-view/index.yaml");
        assertEquals(200, response.statusCode(), () -> text(response));
        int versions = 0;
        for (Map.Entry<String, Object> chart : entries(response.body()).entrySet()) {
            for (Object version : (List<?>) chart.getValue()) {
                versions++;
                for (Object url : (List<?>) ((Map<?, ?>) version).get("urls")) {
                    String u = (String) url;
                    assertTrue(u.startsWith(gatewayBase + "/team-a/") || u.startsWith("team-a/")
                            || u.startsWith("https://elsewhere.example/"),
                            () -> chart.getKey() + " kept a version bob may not read: " + u);
                }
            }
        }
        assertEquals(expected.keptVersions(), versions);
        String body = text(response);
        assertTrue(expected.forTeamA().equals(body), () -> firstDifference(expected.forTeamA(), body));
    }

    // ---- paths that need percent-encoding, and JSON indexes ----------------------------------------------------

    @Test
    void relativeUrlsOfAnIndexUnderADirectoryWithASpaceAreJudged() throws Exception {
        nestedRepository("my charts", false);
        HttpResponse<byte[]> index = get(bob, "/nested/my%20charts/index.yaml");
        assertEquals(200, index.statusCode(), () -> text(index));
        assertEquals(Set.of("alpha@0.1.0"), versions(index.body()), () -> text(index));
    }

    @Test
    void relativeUrlsOfAnIndexUnderANonAsciiDirectoryAreKeptForACallerWhoMayReadThem() throws Exception {
        nestedRepository("café", false);
        HttpResponse<byte[]> index = get(alice, "/nested/caf%C3%A9/index.yaml");
        assertEquals(200, index.statusCode(), () -> text(index));
        assertEquals(Set.of("alpha@0.1.0", "beta@0.1.0"), versions(index.body()), () -> text(index));
    }

    @Test
    void aRelativeUrlWithARawSpaceIsJudgedAtThePathHelmFetchesItFrom() throws Exception {
        Path repo = dir.resolve("nested/raw");
        Files.createDirectories(repo.resolve("team-a"));
        Files.createDirectories(repo.resolve("team b"));
        Files.copy(packaged.resolve("alpha-0.1.0.tgz"), repo.resolve("team-a/alpha-0.1.0.tgz"));
        Files.copy(packaged.resolve("beta-0.1.0.tgz"), repo.resolve("team b/beta-0.1.0.tgz"));
        assertTrue(packager.run(dir, "repo", "index", repo.toString()).ok());
        // helm writes team%20b/…; a hand-written index (or another tool) may not escape it, and helm takes it as is
        editUrls(repo.resolve("index.yaml"), Map.of("team%20b/beta-0.1.0.tgz", "team b/beta-0.1.0.tgz"));
        HelmCli helm = HelmCli.of("4", dir.resolve("helm-raw-space"));
        addRepository(helm, alice, "/nested/raw");
        int logged = gateway.log().size();
        Path pulls = Files.createDirectories(dir.resolve("pulls-raw-space"));
        HelmCli.Result pull = helm.run(pulls, "pull", "r/beta", "--version", "0.1.0");
        assertTrue(pull.ok(), pull::toString);
        awaitGatewayLog(logged, e -> "/nested/raw/team b/beta-0.1.0.tgz".equals(e.get("path")));
        HttpResponse<byte[]> index = get(bob, "/nested/raw/index.yaml");
        assertEquals(200, index.statusCode(), () -> text(index));
        assertEquals(Set.of("alpha@0.1.0"), versions(index.body()), () -> "bob may not read /nested/raw/team b/:\n" + text(index));
    }

    @Test
    void aFilteredJsonIndexStaysWellFormedJson() throws Exception {
        nestedRepository("json", true);
        HttpResponse<byte[]> index = get(bob, "/nested/json/index.yaml");
        assertEquals(200, index.statusCode(), () -> text(index));
        assertTrue(text(index).trim().startsWith("{"), () -> text(index));
        JsonNode entries = JSON.readTree(index.body()).path("entries");
        assertEquals(List.of("alpha"), names(entries.fieldNames()));
        assertEquals("team-a/alpha-0.1.0.tgz", entries.path("alpha").path(0).path("urls").path(0).asText());
        assertEquals(1, entries.path("alpha").size());
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    private static HttpClient client(TestPki.Issued who) {
        return TlsClients.http(TlsClients.context(who, pki.caFile()));
    }

    private static HttpResponse<byte[]> get(TestPki.Issued who, String path, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(gateway.url(path))).timeout(Duration.ofSeconds(30));
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return clients.get(who).send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static int put(String path, byte[] body) throws Exception {
        return clients.get(alice).send(HttpRequest.newBuilder(URI.create(gateway.url(path))).timeout(Duration.ofSeconds(30))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static String etag(HttpResponse<?> response) {
        return response.headers().firstValue("etag").orElseThrow(() -> new AssertionError("no ETag: " + response));
    }

    private static String text(HttpResponse<byte[]> response) {
        return new String(response.body(), StandardCharsets.UTF_8);
    }

    /** The index's {@code entries}, parsed as helm would (YAML; JSON is YAML too). */
    private static Map<String, Object> entries(byte[] index) {
        LoaderOptions options = new LoaderOptions();
        options.setCodePointLimit(64 << 20);
        Map<?, ?> document = new Yaml(options).load(new String(index, StandardCharsets.UTF_8));
        @SuppressWarnings("unchecked")
        Map<String, Object> entries = (Map<String, Object>) document.get("entries");
        return entries == null ? Map.of() : entries;
    }

    /** Every version in an index, as {@code chart@version}. */
    private static Set<String> versions(byte[] index) {
        Set<String> versions = new TreeSet<>();
        entries(index).forEach((chart, list) -> ((List<?>) list)
                .forEach(version -> versions.add(chart + "@" + ((Map<?, ?>) version).get("version"))));
        return versions;
    }

    private static HelmCli helm(String major, String prefix, String purpose) {
        return HelmCli.of(major, dir.resolve("helm-" + major + prefix.replace('/', '-') + "-" + purpose));
    }

    private static void addRepository(HelmCli helm, TestPki.Issued who, String prefix) {
        HelmCli.Result add = helm.run(dir, "repo", "add", "r", gateway.url(prefix), "--cert-file", who.certFile().toString(),
                "--key-file", who.keyFile().toString(), "--ca-file", pki.caFile().toString());
        assertTrue(add.ok(), add::toString);
    }

    /** {@code helm search repo --versions -o json}: every chart version helm knows of, as {@code chart@version}. */
    private static Set<String> searchAll(HelmCli helm) throws Exception {
        HelmCli.Result search = helm.run(dir, "search", "repo", "--versions", "-o", "json");
        assertTrue(search.ok(), search::toString);
        String json = search.output().lines().filter(line -> line.startsWith("[")).findFirst()
                .orElseThrow(() -> new AssertionError("no JSON in " + search));
        Set<String> found = new TreeSet<>();
        for (JsonNode chart : JSON.readTree(json)) {
            found.add(chart.path("name").asText().replaceFirst("^r/", "") + "@" + chart.path("version").asText());
        }
        return found;
    }

    private static String team(String archive) {
        return TEAM_A_ARCHIVES.contains(archive) ? "team-a" : "team-b";
    }

    /** Real charts from {@code helm create}, packaged by helm: nine archives in one directory. */
    private static Path packageCharts() throws Exception {
        Path work = Files.createDirectories(dir.resolve("work"));
        Path out = Files.createDirectories(dir.resolve("packaged"));
        Map<String, List<String>> versions = Map.of("alpha", List.of("0.1.0", "0.2.0"), "beta", List.of("0.1.0", "0.2.0"),
                "mixed", List.of("1.0.0", "2.0.0"), "delta", List.of("0.1.0"), "gamma", List.of("0.1.0"), "outside", List.of("0.1.0"));
        for (Map.Entry<String, List<String>> chart : versions.entrySet()) {
            HelmCli.Result create = packager.run(work, "create", chart.getKey());
            assertTrue(create.ok(), create::toString);
            for (String version : chart.getValue()) {
                HelmCli.Result pack = packager.run(work, "package", chart.getKey(), "--version", version, "-d", out.toString());
                assertTrue(pack.ok(), pack::toString);
            }
        }
        return out;
    }

    /** Copies every archive into {@code repo/team-a/} or {@code repo/team-b/}. */
    private static Path layOut(Path repo) throws Exception {
        Files.createDirectories(repo.resolve("team-a"));
        Files.createDirectories(repo.resolve("team-b"));
        try (var archives = Files.list(packaged)) {
            for (Path archive : archives.toList()) {
                String name = archive.getFileName().toString();
                Files.copy(archive, repo.resolve(team(name)).resolve(name));
            }
        }
        return repo;
    }

    /** A small repository under {@code nested/NAME}: alpha 0.1.0 in team-a, beta 0.1.0 in team-b, relative URLs. */
    private static void nestedRepository(String name, boolean json) throws Exception {
        Path repo = dir.resolve("nested").resolve(name);
        for (String archive : List.of("alpha-0.1.0.tgz", "beta-0.1.0.tgz")) {
            Files.createDirectories(repo.resolve(team(archive)));
            Files.copy(packaged.resolve(archive), repo.resolve(team(archive)).resolve(archive));
        }
        HelmCli.Result index = json ? packager.run(dir, "repo", "index", repo.toString(), "--json")
                : packager.run(dir, "repo", "index", repo.toString());
        assertTrue(index.ok(), index::toString);
        assertTrue(Files.readString(repo.resolve("index.yaml")).contains("team-b/beta-0.1.0.tgz"));
    }

    private static void editUrls(Path index, Map<String, String> replacements) throws Exception {
        Files.writeString(index, edit(Files.readString(index), replacements));
    }

    /** Replaces whole URL list items ({@code - URL} on its own line); each must be there exactly once. */
    private static String edit(String index, Map<String, String> replacements) {
        String edited = index;
        for (Map.Entry<String, String> r : replacements.entrySet()) {
            String from = "- " + r.getKey() + "\n";
            int at = edited.indexOf(from);
            assertTrue(at >= 0 && edited.indexOf(from, at + 1) < 0, () -> "no single " + from + " in\n" + index);
            edited = edited.replace(from, "- " + r.getValue() + "\n");
        }
        return edited;
    }

    private static void awaitGatewayLog(int from, Predicate<Map<String, Object>> match) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            List<Map<String, Object>> log = gateway.log();
            if (log.subList(Math.min(from, log.size()), log.size()).stream().anyMatch(match)) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no new access-log line matched: " + log.subList(Math.min(from, log.size()), log.size()));
            }
            LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
        }
    }

    private static void awaitNginx(int from, Predicate<NginxServer.ReceivedRequest> match) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            List<NginxServer.ReceivedRequest> received = nginx.received();
            if (received.subList(Math.min(from, received.size()), received.size()).stream().anyMatch(match)) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("nginx logged no matching request: " + received);
            }
            LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
        }
    }

    private static List<String> names(java.util.Iterator<String> fieldNames) {
        List<String> list = new ArrayList<>();
        fieldNames.forEachRemaining(list::add);
        return list;
    }

    private static String firstDifference(String expected, String actual) {
        int i = 0;
        while (i < expected.length() && i < actual.length() && expected.charAt(i) == actual.charAt(i)) {
            i++;
        }
        int from = Math.max(0, i - 200);
        return "the bodies differ at character " + i + " (expected " + expected.length() + " characters, got " + actual.length()
                + ")\n--- expected:\n" + expected.substring(from, Math.min(expected.length(), i + 200))
                + "\n--- actual:\n" + actual.substring(from, Math.min(actual.length(), i + 200));
    }

    /**
     * A generated index and what a team-a caller must receive.
     *
     * @param upstream the index as the upstream serves it
     * @param forTeamA the upstream's text with exactly the versions a team-a caller may not read cut out (whole list
     *     items; a chart with none left cut whole) and its absolute URLs pointed at the gateway, or null
     * @param keptVersions how many versions {@code forTeamA} holds
     */
    private record BigIndex(String upstream, String forTeamA, int keptVersions) {
    }

    /**
     * 100 charts of 100 versions, written as {@code helm repo index} writes them, about 7 MB. Built by hand (not by
     * the gateway's code), so the view it expects is computed independently: charts 3, 11, 19, … have team-b versions
     * only and disappear; charts 7, 15, 23, … have team-b versions and one elsewhere, which alone is kept; in every
     * other chart even versions are team-a's; every fifth URL is relative.
     *
     * @param gatewayBase where the route serving the view is reached ({@code https://localhost:PORT/big-view}), or
     *     null when only the upstream text is wanted
     */
    private static BigIndex bigIndex(String upstreamBase, String gatewayBase) {
        Random random = new Random(20250301);
        StringBuilder upstream = new StringBuilder("apiVersion: v1\nentries:\n");
        StringBuilder kept = new StringBuilder(upstream);
        int keptVersions = 0;
        for (int i = 0; i < 100; i++) {
            String chart = "app-%03d".formatted(i);
            StringBuilder keptOfChart = new StringBuilder();
            upstream.append("  ").append(chart).append(":\n");
            for (int j = 99; j >= 0; j--) {
                String version = "1." + j + ".0";
                String archive = chart + "-" + version + ".tgz";
                boolean elsewhere = i % 8 == 7 && j == 7;
                boolean teamA = i % 4 != 3 && j % 2 == 0;
                String where = (teamA ? "team-a/" : "team-b/") + archive;
                String url = elsewhere ? "https://elsewhere.example/" + archive : j % 5 == 0 ? where : upstreamBase + "/" + where;
                byte[] digest = new byte[32];
                random.nextBytes(digest);
                String hex = HexFormat.of().formatHex(digest);
                upstream.append(versionItem(chart, version, j, hex, url));
                if (teamA || elsewhere) {
                    keptVersions++;
                    String served = gatewayBase != null && url.startsWith(upstreamBase + "/")
                            ? gatewayBase + url.substring(upstreamBase.length()) : url;
                    keptOfChart.append(versionItem(chart, version, j, hex, served));
                }
            }
            if (!keptOfChart.isEmpty()) {
                kept.append("  ").append(chart).append(":\n").append(keptOfChart);
            }
        }
        String generated = "generated: \"2025-03-01T12:00:00.000000000Z\"\n";
        upstream.append(generated);
        kept.append(generated);
        return new BigIndex(upstream.toString(), gatewayBase == null ? null : kept.toString(), keptVersions);
    }

    /** One version as helm writes it. */
    private static String versionItem(String chart, String version, int n, String digest, String url) {
        return String.join("\n",
                "  - annotations:",
                "      category: Testing",
                "      licenses: Apache-2.0",
                "    apiVersion: v2",
                "    appVersion: " + n + ".16.0",
                "    created: \"2025-02-%02dT10:%02d:00.123456789Z\"".formatted(1 + n % 28, n % 60),
                "    dependencies:",
                "    - name: common",
                "      repository: oci://registry.example/charts",
                "      version: 2.x.x",
                "    description: " + chart + " " + version + ", one of ten thousand versions made for the index filter test",
                "    digest: " + digest,
                "    home: https://example.com/" + chart,
                "    keywords:",
                "    - filter",
                "    - index",
                "    maintainers:",
                "    - email: team@example.com",
                "      name: Team",
                "    name: " + chart,
                "    sources:",
                "    - https://git.example.com/" + chart,
                "    type: application",
                "    urls:",
                "    - " + url,
                "    version: " + version,
                "");
    }
}
