package io.chartgate.it;

import static io.chartgate.testing.OciGateway.sha256;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chartgate.testing.GatewayHarness;
import io.chartgate.testing.HelmCli;
import io.chartgate.testing.OciGateway;
import io.chartgate.testing.PgpKeys;
import io.chartgate.testing.RegistryServer;
import io.chartgate.testing.Resources;
import io.chartgate.testing.TestPki;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.chartgate.testing.TlsClients;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The index.yaml an oci route makes from the registry (Debian's {@code docker-registry}): helm 3 and helm 4 add
 * {@code https://gw/v2/charts} as a classic chart repository, search it and pull from it through the gateway. Each
 * caller's index lists only the repositories it may pull; an entry's {@code digest} is the SHA-256 of the .tgz
 * its URL serves; a push through the gateway shows on the next {@code helm repo update} (the revalidate interval
 * is set long here, so only the invalidation can make it show).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OciIndexIT {

    @TempDir
    static Path dir;

    private static TestPki pki;
    private static RegistryServer registry;
    private static OciGateway oci;
    private static GatewayHarness gateway;
    private static TestPki.Issued admin;
    private static TestPki.Issued readerA;
    private static TestPki.Issued readerB;
    private static String host;
    private static Path charts;

    @BeforeAll
    static void start() throws Exception {
        host = OciGateway.loopbackHostName();
        pki = OciGateway.pki(dir, "OCI index IT CA", host);
        admin = pki.client("admin").ou("admins").issue();
        readerA = pki.client("reader-a").ou("team-a").issue();
        readerB = pki.client("reader-b").ou("team-b").issue();
        registry = RegistryServer.start(dir.resolve("registry"));
        oci = OciGateway.start(dir, host, pki, "{ indexRevalidateMillis: 600000 }", """
                routes:
                  - { name: registry, prefix: /v2, upstream: { type: oci, url: "%s" } }
                policy:
                  rules:
                    - { name: admins, match: { ou: admins }, write: ["/v2/**"] }
                    - { name: team-a, match: { ou: team-a }, read: ["/v2/charts/team-a/**"] }
                    - { name: team-b, match: { ou: team-b }, read: ["/v2/charts/team-b/**"] }
                """.formatted(registry.url()));
        gateway = oci.gateway();
        HelmCli helm = HelmCli.of("4", dir.resolve("home-make"));
        charts = Files.createDirectories(dir.resolve("charts"));
        for (String name : List.of("demo", "other")) {
            assertTrue(helm.run(charts, "create", name).ok());
        }
        for (String[] chart : List.of(new String[] {"demo", "0.1.0"}, new String[] {"other", "0.1.0"},
                new String[] {"demo", "0.2.0"}, new String[] {"demo", "0.3.0"}, new String[] {"demo", "0.6.0"})) {
            HelmCli.Result packaged = helm.run(charts, "package", chart[0], "--version", chart[1]);
            assertTrue(packaged.ok(), packaged::toString);
        }
        assertTrue(helm.run(dir, oci.tls(admin, "push", chart("demo", "0.1.0").toString(),
                oci.reference("charts/team-a"))).ok());
        assertTrue(helm.run(dir, oci.tls(admin, "push", chart("other", "0.1.0").toString(),
                oci.reference("charts/team-b"))).ok());
    }

    @AfterAll
    static void stop() {
        Resources.closeAll(oci, registry);
    }

    private static Path chart(String name, String version) {
        return charts.resolve(name + "-" + version + ".tgz");
    }

    private static String repoUrl() {
        return "https://" + host + ":" + gateway.port() + "/v2/charts";
    }

    private static HttpResponse<String> get(TestPki.Issued who, String path, String ifNoneMatch) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(gateway.url(path)));
        if (ifNoneMatch != null) {
            request.header("If-None-Match", ifNoneMatch);
        }
        return TlsClients.http(TlsClients.context(who, pki.caFile())).send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonObject index(TestPki.Issued who) throws Exception {
        HttpResponse<String> answer = get(who, "/v2/charts/index.yaml", null);
        assertEquals(200, answer.statusCode(), answer::body);
        return new JsonObject(answer.body()).getJsonObject("entries");
    }

    @Order(1)
    @ParameterizedTest(name = "helm {0}")
    @ValueSource(strings = {"3", "4"})
    void aReaderSearchesOnlyItsChartsAndPullsOneWhoseDigestIsTheIndexs(String major) throws Exception {
        HelmCli helm = HelmCli.of(major, dir.resolve("home-reader-" + major));
        HelmCli.Result add = helm.run(dir, oci.tls(readerA, "repo", "add", "gw", repoUrl()));
        assertTrue(add.ok(), add::toString);
        HelmCli.Result search = helm.run(dir, "search", "repo", "gw");
        assertTrue(search.ok() && search.output().contains("gw/demo"), search::toString);
        assertFalse(search.output().contains("gw/other"), search::toString);

        Path pulled = Files.createDirectories(dir.resolve("pulled-" + major));
        HelmCli.Result pull = helm.run(pulled, "pull", "gw/demo", "--version", "0.1.0");
        assertTrue(pull.ok(), pull::toString);
        String digest = sha256(pulled.resolve("demo-0.1.0.tgz"));
        assertEquals(sha256(chart("demo", "0.1.0")), digest);
        JsonArray versions = index(readerA).getJsonArray("demo");
        assertEquals(digest, versions.getJsonObject(versions.size() - 1).getString("digest"));
    }

    @Order(2)
    @Test
    void eachCallerSeesTheRepositoriesItMayPullAndNothingElse() throws Exception {
        assertEquals(List.of("demo"), List.copyOf(index(readerA).fieldNames()));
        assertEquals(List.of("other"), List.copyOf(index(readerB).fieldNames()));
        JsonObject all = index(admin);
        assertTrue(all.containsKey("demo") && all.containsKey("other"), all::encode);
        JsonObject entry = all.getJsonArray("other").getJsonObject(0);
        assertEquals("0.1.0", entry.getString("version"));
        String url = entry.getJsonArray("urls").getString(0);
        assertTrue(url.matches("team-b/other/_chart/sha256:[0-9a-f]{64}/other-0\\.1\\.0\\.tgz"), url);
        // the chart URL is judged on its repository like any pull
        assertEquals(403, get(readerA, "/v2/charts/" + url, null).statusCode());
        assertEquals(200, get(readerB, "/v2/charts/" + url, null).statusCode());
        assertEquals(404, get(readerB, "/v2/charts/" + url + ".prov", null).statusCode());
    }

    @Order(3)
    @Test
    void anUnchangedIndexIsA304AndViewsHaveTheirOwnEtags() throws Exception {
        HttpResponse<String> first = get(readerA, "/v2/charts/index.yaml", null);
        String etag = first.headers().firstValue("ETag").orElseThrow();
        HttpResponse<String> again = get(readerA, "/v2/charts/index.yaml", etag);
        assertEquals(304, again.statusCode());
        HttpResponse<String> other = get(readerB, "/v2/charts/index.yaml", null);
        assertNotEquals(etag, other.headers().firstValue("ETag").orElseThrow());
        assertEquals(200, get(readerB, "/v2/charts/index.yaml", etag).statusCode());
    }

    @Order(4)
    @ParameterizedTest(name = "helm {0}")
    @ValueSource(strings = {"3", "4"})
    void aPushThroughTheGatewayShowsOnTheNextRepoUpdate(String major) throws Exception {
        String version = major.equals("3") ? "0.2.0" : "0.3.0";
        HelmCli helm = HelmCli.of(major, dir.resolve("home-update-" + major));
        assertTrue(helm.run(dir, oci.tls(readerA, "repo", "add", "gw", repoUrl())).ok());
        HelmCli.Result before = helm.run(dir, "search", "repo", "gw/demo", "--versions");
        assertFalse(before.output().contains(version), before::toString);
        HelmCli.Result push = helm.run(dir, oci.tls(admin, "push", chart("demo", version).toString(),
                oci.reference("charts/team-a")));
        assertTrue(push.ok(), push::toString);
        assertTrue(helm.run(dir, "repo", "update").ok());
        HelmCli.Result after = helm.run(dir, "search", "repo", "gw/demo", "--versions");
        assertTrue(after.output().contains(version), after::toString);
        Path pulled = Files.createDirectories(dir.resolve("pulled-update-" + major));
        HelmCli.Result pull = helm.run(pulled, "pull", "gw/demo");
        assertTrue(pull.ok(), pull::toString);
        assertEquals(sha256(chart("demo", version)), sha256(pulled.resolve("demo-" + version + ".tgz")));
    }

    @Order(6)
    @ParameterizedTest(name = "helm {0}")
    @ValueSource(strings = {"3", "4"})
    void aSignedChartsProvenanceIsServedNextToItAndVerifies(String major) throws Exception {
        PgpKeys signer = PgpKeys.create(dir.resolve("pgp-" + major), "Chart Signer");
        HelmCli helm = HelmCli.of(major, dir.resolve("home-signed-" + major));
        String version = major.equals("3") ? "0.4.0" : "0.5.0";
        Path signed = Files.createDirectories(dir.resolve("signed-" + major));
        HelmCli.Result sign = helm.run(charts, "package", "other", "--version", version, "--sign", "--key", "Chart Signer",
                "--keyring", signer.secretKeyring().toString(), "-d", signed.toString());
        assertTrue(sign.ok(), sign::toString);
        Path chart = signed.resolve("other-" + version + ".tgz");
        assertTrue(Files.exists(signed.resolve("other-" + version + ".tgz.prov")));
        HelmCli.Result push = helm.run(dir, oci.tls(admin, "push", chart.toString(), oci.reference("charts/team-b")));
        assertTrue(push.ok(), push::toString);
        assertTrue(helm.run(dir, oci.tls(readerB, "repo", "add", "gw", repoUrl())).ok());
        Path pulled = Files.createDirectories(dir.resolve("pulled-signed-" + major));
        HelmCli.Result pull = helm.run(pulled, "pull", "gw/other", "--version", version, "--verify", "--keyring",
                signer.publicKeyring().toString());
        assertTrue(pull.ok() && pull.output().contains("Signed by: Chart Signer"), pull::toString);
        assertEquals(sha256(chart), sha256(pulled.resolve("other-" + version + ".tgz")));
        assertEquals(Files.readString(signed.resolve("other-" + version + ".tgz.prov")),
                Files.readString(pulled.resolve("other-" + version + ".tgz.prov")));
    }

    @Order(7)
    @Test
    void aPushStraightToTheRegistryShowsAfterTheRevalidateIntervalAndAnUnchangedListingReadsNoManifest() throws Exception {
        try (OciGateway quick = OciGateway.start(Files.createDirectories(dir.resolve("quick")), host, pki,
                "{ indexRevalidateMillis: 200 }", """
                routes:
                  - { name: registry, prefix: /v2, upstream: { type: oci, url: "%s" } }
                policy:
                  rules:
                    - { name: admins, match: { ou: admins }, write: ["/v2/**"] }
                """.formatted(registry.url()))) {
            HttpClient client = TlsClients.http(TlsClients.context(admin, pki.caFile()));
            HttpRequest index = HttpRequest.newBuilder(URI.create(quick.gateway().url("/v2/charts/index.yaml"))).build();
            HttpResponse<String> first = client.send(index, HttpResponse.BodyHandlers.ofString());
            assertEquals(200, first.statusCode(), first::body);
            Thread.sleep(400);
            long manifestsBefore = manifestGets();
            HttpResponse<String> unchanged = client.send(index, HttpResponse.BodyHandlers.ofString());
            assertEquals(first.body(), unchanged.body());
            assertEquals(manifestsBefore, manifestGets(), "a revalidation of an unchanged listing read manifests");

            // around the gateway: only the revalidation can show it
            HelmCli helm = HelmCli.of("4", dir.resolve("home-direct"));
            HelmCli.Result push = helm.run(dir, "push", chart("demo", "0.6.0").toString(),
                    "oci://" + registry.url().substring("http://".length()) + "/charts/team-z", "--plain-http");
            assertTrue(push.ok(), push::toString);
            Thread.sleep(400);
            HttpResponse<String> changed = client.send(index, HttpResponse.BodyHandlers.ofString());
            JsonArray demo = new JsonObject(changed.body()).getJsonObject("entries").getJsonArray("demo");
            assertTrue(demo.stream().anyMatch(v -> ((JsonObject) v).getString("version").equals("0.6.0")
                    && ((JsonObject) v).getJsonArray("urls").getString(0).startsWith("team-z/demo/")), changed::body);
        }
    }

    @Order(8)
    @Test
    void aChartVersionInTwoRepositoriesIsListedOncePerCallerFromOneItMayPull() throws Exception {
        HelmCli helm = HelmCli.of("4", dir.resolve("home-twice"));
        HelmCli.Result push = helm.run(dir, oci.tls(admin, "push", chart("demo", "0.1.0").toString(),
                oci.reference("charts/team-b")));
        assertTrue(push.ok(), push::toString);
        assertEquals(List.of("team-a/demo/"), urlsOf(index(readerA), "0.1.0"));
        assertEquals(List.of("team-b/demo/"), urlsOf(index(readerB), "0.1.0"));
        assertEquals(List.of("team-a/demo/"), urlsOf(index(admin), "0.1.0"));
    }

    /** The repository part of the URLs of every {@code demo} entry of {@code version}. */
    private static List<String> urlsOf(JsonObject entries, String version) {
        List<String> found = new ArrayList<>();
        for (Object entry : entries.getJsonArray("demo", new JsonArray())) {
            JsonObject v = (JsonObject) entry;
            if (v.getString("version").equals(version)) {
                String url = v.getJsonArray("urls").getString(0);
                found.add(url.substring(0, url.indexOf("_chart/")));
            }
        }
        return found;
    }

    private static long manifestGets() {
        return registry.received().stream().filter(r -> r.method().equals("GET") && r.path().contains("/manifests/")).count();
    }

    @Order(5)
    @Test
    void anotherFileIsNoIndexAndAnEmptyNamespaceAnEmptyIndex() throws Exception {
        HttpResponse<String> outside = get(readerA, "/v2/charts/index.json", null);
        assertEquals(400, outside.statusCode());
        HttpResponse<String> empty = get(readerA, "/v2/nothing/index.yaml", null);
        assertEquals(200, empty.statusCode(), empty::body);
        assertTrue(new JsonObject(empty.body()).getJsonObject("entries").isEmpty(), empty::body);
    }
}
