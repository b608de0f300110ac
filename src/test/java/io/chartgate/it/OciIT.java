package io.chartgate.it;

import static io.chartgate.testing.OciGateway.sha256;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chartgate.testing.GatewayHarness;
import io.chartgate.testing.HelmCli;
import io.chartgate.testing.OciGateway;
import io.chartgate.testing.RegistryServer;
import io.chartgate.testing.Resources;
import io.chartgate.testing.TestPki;
import io.chartgate.testing.TlsClients;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
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
 * helm 3 and helm 4 push and pull {@code oci://} charts through the gateway to a real registry (Debian's
 * {@code docker-registry}), with only the TLS flags; the policy decides per repository; the registry's log shows
 * that every request came through the gateway. helm 3 speaks plain HTTP to {@code localhost} and loopback
 * addresses, so the gateway is addressed by this machine's host name, which must resolve to a loopback address.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OciIT {

    @TempDir
    static Path dir;

    private static TestPki pki;
    private static RegistryServer registry;
    private static RegistryServer locked;
    private static OciGateway oci;
    private static GatewayHarness gateway;
    private static TestPki.Issued pusher;
    private static TestPki.Issued reader;
    private static TestPki.Issued outsider;
    private static TestPki.Issued admin;
    private static String host;
    private static Path demo;
    private static Path big;

    @BeforeAll
    static void start() throws Exception {
        host = OciGateway.loopbackHostName();
        pki = OciGateway.pki(dir, "OCI IT CA", host);
        pusher = pki.client("pusher").ou("team-a").issue();
        reader = pki.client("reader").ou("readers").issue();
        outsider = pki.client("outsider").ou("marketing").issue();
        admin = pki.client("admin").ou("admins").issue();
        registry = RegistryServer.start(dir.resolve("registry"));
        locked = RegistryServer.start(dir.resolve("locked"), "gateway", "s3cret-registry-pw");
        oci = OciGateway.start(dir, host, pki, null, """
                routes:
                  - { name: registry, prefix: /v2, upstream: { type: oci, url: "%s" } }
                  - name: locked
                    prefix: /v2/locked
                    upstream: { type: oci, url: "%s", auth: { basic: { username: gateway, password: s3cret-registry-pw } } }
                  - name: wrongpw
                    prefix: /v2/wrongpw
                    upstream: { type: oci, url: "%s", auth: { basic: { username: gateway, password: not-it } } }
                policy:
                  rules:
                    - { name: team-a, match: { ou: team-a }, write: ["/v2/charts/team-a/**", "/v2/locked/**", "/v2/wrongpw/**"] }
                    - { name: readers, match: { ou: readers }, read: ["/v2/charts/**"] }
                    - { name: admins, match: { ou: admins }, write: ["/v2/**"] }
                """.formatted(registry.url(), locked.url(), locked.url()));
        gateway = oci.gateway();
        HelmCli helm = HelmCli.of("4", dir.resolve("home-make"));
        Path charts = Files.createDirectories(dir.resolve("charts"));
        for (String name : List.of("demo", "bigdemo", "other")) {
            assertTrue(helm.run(charts, "create", name).ok());
        }
        // five 4 MiB files: helm refuses single files over 5 MiB in a chart
        Path files = Files.createDirectories(charts.resolve("bigdemo/files"));
        Random random = new Random(17);
        for (int i = 1; i <= 5; i++) {
            byte[] bytes = new byte[4 << 20];
            random.nextBytes(bytes);
            Files.write(files.resolve("blob" + i + ".bin"), bytes);
        }
        for (String name : List.of("demo", "bigdemo", "other")) {
            HelmCli.Result packaged = helm.run(charts, "package", name);
            assertTrue(packaged.ok(), packaged::toString);
        }
        demo = charts.resolve("demo-0.1.0.tgz");
        big = charts.resolve("bigdemo-0.1.0.tgz");
        assertTrue(Files.size(big) > 20_000_000, "the big chart is " + Files.size(big) + " bytes");
    }

    @AfterAll
    static void stop() {
        Resources.closeAll(oci, registry, locked);
    }

    private static void pushAndPull(String major, Path chart, String repository, String name) throws Exception {
        HelmCli helm = HelmCli.of(major, dir.resolve("home-" + major + "-" + name));
        HelmCli.Result push = helm.run(dir, oci.tls(pusher, "push", chart.toString(), oci.reference(repository)));
        assertTrue(push.ok() && push.output().contains("Pushed: " + host + ":" + gateway.port() + "/" + repository + "/" + name),
                push::toString);
        HelmCli.Result again = helm.run(dir, oci.tls(pusher, "push", chart.toString(), oci.reference(repository)));
        assertTrue(again.ok(), again::toString);
        Path pulled = Files.createDirectories(dir.resolve("pulled-" + major + "-" + name));
        HelmCli.Result pull = helm.run(pulled, oci.tls(pusher, "pull", oci.reference(repository) + "/" + name,
                "--version", "0.1.0"));
        assertTrue(pull.ok(), pull::toString);
        assertEquals(sha256(chart), sha256(pulled.resolve(chart.getFileName())));
        Files.delete(pulled.resolve(chart.getFileName()));
        HelmCli.Result latest = helm.run(pulled, oci.tls(pusher, "pull", oci.reference(repository) + "/" + name));
        assertTrue(latest.ok(), latest::toString);
        assertEquals(sha256(chart), sha256(pulled.resolve(chart.getFileName())));
        HelmCli.Result show = helm.run(dir, oci.tls(pusher, "show", "chart", oci.reference(repository) + "/" + name,
                "--version", "0.1.0"));
        assertTrue(show.ok() && show.output().contains("name: " + name), show::toString);
        HelmCli.Result template = helm.run(dir, oci.tls(pusher, "template", "x", oci.reference(repository) + "/" + name,
                "--version", "0.1.0"));
        assertTrue(template.ok() && template.output().contains("name: x-" + name), template::toString);
    }

    @Order(1)
    @ParameterizedTest(name = "helm {0}")
    @ValueSource(strings = {"3", "4"})
    void pusherPushesPullsShowsAndTemplatesASmallChart(String major) throws Exception {
        pushAndPull(major, demo, "charts/team-a/h" + major, "demo");
    }

    @Order(2)
    @ParameterizedTest(name = "helm {0}")
    @ValueSource(strings = {"3", "4"})
    void pusherPushesAndPullsA20MegabyteChart(String major) throws Exception {
        pushAndPull(major, big, "charts/team-a/big" + major, "bigdemo");
        var upload = gateway.awaitLog(e -> "PUT".equals(e.get("method"))
                && String.valueOf(e.get("path")).startsWith("/v2/charts/team-a/big" + major + "/bigdemo/blobs/uploads/")
                && ((Number) e.get("bytesIn")).longValue() > 20_000_000);
        assertEquals(201, upload.get("status"), upload::toString);
    }

    @Order(3)
    @ParameterizedTest(name = "helm {0}")
    @ValueSource(strings = {"3", "4"})
    void readerPullsButIsDeniedOnPush(String major) throws Exception {
        HelmCli helm = HelmCli.of(major, dir.resolve("home-reader-" + major));
        assertTrue(helm.run(dir, oci.tls(pusher, "push", demo.toString(), oci.reference("charts/team-a/r" + major))).ok());
        Path pulled = Files.createDirectories(dir.resolve("pulled-reader-" + major));
        HelmCli.Result pull = helm.run(pulled, oci.tls(reader, "pull", oci.reference("charts/team-a/r" + major) + "/demo",
                "--version", "0.1.0"));
        assertTrue(pull.ok(), pull::toString);
        HelmCli.Result push = helm.run(dir, oci.tls(reader, "push", dir.resolve("charts/other-0.1.0.tgz").toString(),
                oci.reference("charts/team-a/r" + major)));
        assertFalse(push.ok(), push::toString);
        assertTrue(push.output().contains("403") && push.output().contains("reader may not write /v2/charts/team-a/r" + major + "/other"),
                push::toString);
        if (major.equals("4")) {
            // helm 4 prints the OCI error body: code and message
            assertTrue(push.output().contains("denied: reader may not write"), push::toString);
        }
    }

    @Order(4)
    @ParameterizedTest(name = "helm {0}")
    @ValueSource(strings = {"3", "4"})
    void outsiderIsRefusedAPull(String major) {
        HelmCli helm = HelmCli.of(major, dir.resolve("home-outsider-" + major));
        HelmCli.Result pull = helm.run(dir, oci.tls(outsider, "pull", oci.reference("charts/team-a/h" + major) + "/demo",
                "--version", "0.1.0"));
        assertFalse(pull.ok(), pull::toString);
        assertTrue(pull.output().contains("outsider may not read /v2/charts/team-a/h" + major + "/demo"), pull::toString);
    }

    @Order(4)
    @Test
    void helm4InstallsAClientDryRunWithoutACluster() {
        HelmCli helm = HelmCli.of("4", dir.resolve("home-dry-run"));
        HelmCli.Result install = helm.run(dir, oci.tls(pusher, "install", "x", oci.reference("charts/team-a/h4") + "/demo",
                "--version", "0.1.0", "--dry-run=client"));
        assertTrue(install.ok() && install.output().contains("STATUS: pending-install"), install::toString);
    }

    @Order(4)
    @ParameterizedTest(name = "helm {0}")
    @ValueSource(strings = {"3", "4"})
    void registryLoginWhereAClientRunsItSucceedsWithTheCertificateAlone(String major) {
        // CI scripts run it out of habit: GET /v2/ answers any authenticated caller, and the credentials given are
        // the client's own business (the gateway's registry credentials are never asked of it)
        HelmCli helm = HelmCli.of(major, dir.resolve("home-login-" + major));
        HelmCli.Result login = helm.run(dir, oci.tls(reader, "registry", "login", host + ":" + gateway.port(),
                "--username", "ci", "--password", "unused"));
        assertTrue(login.ok() && login.output().contains("Login Succeeded"), login::toString);
    }

    @Order(5)
    @Test
    void aMountFromARepositoryTheCallerCannotReadCopiesNothing() throws Exception {
        HelmCli helm = HelmCli.of("4", dir.resolve("home-mount"));
        assertTrue(helm.run(dir, oci.tls(admin, "push", demo.toString(), oci.reference("secret"))).ok());
        assertTrue(helm.run(dir, oci.tls(pusher, "push", demo.toString(), oci.reference("charts/team-a/src"))).ok());
        String digest = "sha256:" + sha256(demo);
        HttpClient client = TlsClients.http(TlsClients.context(pusher, pki.caFile()));

        HttpResponse<String> stolen = send(client, "POST", "/v2/charts/team-a/thief/blobs/uploads/?mount=" + digest + "&from=secret/demo");
        assertEquals(202, stolen.statusCode(), stolen::body);
        String location = stolen.headers().firstValue("Location").orElseThrow();
        assertTrue(location.startsWith("/v2/charts/team-a/thief/blobs/uploads/"), location);
        assertEquals(404, send(client, "HEAD", "/v2/charts/team-a/thief/blobs/" + digest).statusCode());
        var line = gateway.awaitLog(e -> "dropped".equals(e.get("mount")));
        assertEquals("charts/team-a/thief", line.get("repository"));

        HttpResponse<String> mounted = send(client, "POST", "/v2/charts/team-a/copy/blobs/uploads/?mount=" + digest
                + "&from=charts/team-a/src/demo");
        assertEquals(201, mounted.statusCode(), mounted::body);
        assertEquals("/v2/charts/team-a/copy/blobs/" + digest, mounted.headers().firstValue("Location").orElseThrow());
        assertEquals(200, send(client, "HEAD", "/v2/charts/team-a/copy/blobs/" + digest).statusCode());
    }

    @Order(6)
    @Test
    void uploadLocationsPointAtTheGatewayAndKeepTheRegistrysHeaders() throws Exception {
        HttpClient client = TlsClients.http(TlsClients.context(pusher, pki.caFile()));
        HttpResponse<String> started = send(client, "POST", "/v2/charts/team-a/raw/blobs/uploads/");
        assertEquals(202, started.statusCode(), started::body);
        String location = started.headers().firstValue("Location").orElseThrow();
        assertTrue(location.matches("/v2/charts/team-a/raw/blobs/uploads/[0-9a-f-]+\\?_state=.+"), location);
        assertTrue(started.headers().firstValue("Docker-Upload-UUID").isPresent());
        assertEquals("0-0", started.headers().firstValue("Range").orElseThrow());
        byte[] body = "chartgate".getBytes();
        String digest = "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
        HttpResponse<String> put = client.send(HttpRequest.newBuilder(URI.create(gateway.url(location + "&digest=" + digest)))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(201, put.statusCode(), put::body);
        assertEquals(digest, put.headers().firstValue("Docker-Content-Digest").orElseThrow());
        assertEquals("/v2/charts/team-a/raw/blobs/" + digest, put.headers().firstValue("Location").orElseThrow());
        HttpResponse<String> ranged = client.send(HttpRequest.newBuilder(URI.create(gateway.url("/v2/charts/team-a/raw/blobs/" + digest)))
                .header("Range", "bytes=0-4").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(206, ranged.statusCode());
        assertEquals("chart", ranged.body());
    }

    @Order(7)
    @Test
    void theCatalogListsOnlyTheRepositoriesTheCallerMayPullAndPagesThem() throws Exception {
        // the registry holds charts/team-a/... (pushed above) and "secret" (pushed by the admin)
        List<String> all = catalog(admin, "/v2/_catalog?n=1000");
        assertTrue(all.contains("secret/demo") && all.stream().anyMatch(r -> r.startsWith("charts/team-a/")), all::toString);
        List<String> readable = catalog(reader, "/v2/_catalog");
        assertFalse(readable.isEmpty());
        assertTrue(readable.stream().allMatch(r -> r.startsWith("charts/")), "the reader may pull /v2/charts/** only: " + readable);
        assertEquals(List.of(), catalog(outsider, "/v2/_catalog"), "a caller who may pull nothing sees nothing");

        // paging one by one follows Link and gives the same list, never a hidden name
        HttpClient client = TlsClients.http(TlsClients.context(reader, pki.caFile()));
        List<String> paged = new java.util.ArrayList<>();
        String next = "/v2/_catalog?n=1";
        while (next != null) {
            HttpResponse<String> page = send(client, "GET", next);
            assertEquals(200, page.statusCode(), page::body);
            new JsonObject(page.body()).getJsonArray("repositories").forEach(r -> paged.add((String) r));
            next = page.headers().firstValue("Link").map(l -> l.substring(1, l.indexOf('>'))).orElse(null);
        }
        assertEquals(readable, paged);
    }

    private static List<String> catalog(TestPki.Issued who, String target) throws Exception {
        HttpResponse<String> answer = send(TlsClients.http(TlsClients.context(who, pki.caFile())), "GET", target);
        assertEquals(200, answer.statusCode(), answer::body);
        List<String> names = new java.util.ArrayList<>();
        new JsonObject(answer.body()).getJsonArray("repositories").forEach(r -> names.add((String) r));
        return names;
    }

    @Order(7)
    @Test
    void requestsOutsideTheGrammarGetOciErrors() throws Exception {
        HttpClient client = TlsClients.http(TlsClients.context(admin, pki.caFile()));
        HttpResponse<String> encoded = send(client, "GET", "/v2/charts%2Fteam-a/h4/demo/tags/list");
        assertEquals(400, encoded.statusCode());
        assertEquals("application/json", encoded.headers().firstValue("Content-Type").orElseThrow());
        assertTrue(new JsonObject(encoded.body()).getJsonArray("errors").getJsonObject(0).getString("code").length() > 0, encoded::body);
        HttpResponse<String> outside = send(client, "GET", "/v2/charts/team-a/h4/demo/index.json");
        assertEquals("NAME_INVALID", code(outside));
        HttpResponse<String> ping = send(TlsClients.http(TlsClients.context(outsider, pki.caFile())), "GET", "/v2/");
        assertEquals(200, ping.statusCode(), ping::body);
        HttpResponse<String> tags = send(client, "GET", "/v2/charts/team-a/h4/demo/tags/list");
        assertEquals(200, tags.statusCode(), tags::body);
        assertEquals("charts/team-a/h4/demo", new JsonObject(tags.body()).getString("name"));
    }

    @Order(8)
    @Test
    void theGatewaysBasicCredentialsReachTheRegistryAndNeverTheClient() throws Exception {
        HelmCli helm = HelmCli.of("4", dir.resolve("home-locked"));
        HelmCli.Result push = helm.run(dir, oci.tls(pusher, "push", demo.toString(), oci.reference("locked/team")));
        assertTrue(push.ok(), push::toString);
        Path pulled = Files.createDirectories(dir.resolve("pulled-locked"));
        HelmCli.Result pull = helm.run(pulled, oci.tls(pusher, "pull", oci.reference("locked/team") + "/demo",
                "--version", "0.1.0"));
        assertTrue(pull.ok(), pull::toString);
        assertEquals(sha256(demo), sha256(pulled.resolve("demo-0.1.0.tgz")));
        HttpClient client = TlsClients.http(TlsClients.context(pusher, pki.caFile()));
        HttpResponse<String> refused = send(client, "GET", "/v2/wrongpw/team/demo/tags/list");
        assertEquals(502, refused.statusCode(), refused::body);
        assertEquals("UNAVAILABLE", code(refused));
        assertTrue(refused.headers().firstValue("WWW-Authenticate").isEmpty());
        assertFalse(refused.body().contains("not-it"));
    }

    @Order(100)
    @Test
    void theRegistrySawOnlyRequestsThatCameThroughTheGateway() {
        List<RegistryServer.Received> seen = registry.received();
        assertTrue(seen.stream().anyMatch(r -> r.method().equals("PUT") && r.path().contains("/blobs/uploads/")), registry::logText);
        Set<String> forwarded = gateway.log().stream().filter(e -> "request".equals(e.get("event")))
                .map(e -> e.get("method") + " " + e.get("path")).collect(Collectors.toSet());
        for (RegistryServer.Received r : seen) {
            if (r.path().equals("/v2/")) {
                continue; // the gateway's own readiness probe and credential challenge
            }
            if (r.path().startsWith("/v2/_catalog")) {
                // the gateway's own read of the whole catalog, made for a client's GET /v2/_catalog it logged
                assertTrue(forwarded.contains("GET /v2/_catalog"), () -> "a catalog read for no client: " + r);
                continue;
            }
            assertTrue(r.forwarded(), () -> "not through the gateway: " + r);
            assertTrue(forwarded.contains(r.method() + " " + r.path()), () -> "not in the gateway's access log: " + r);
        }
    }

    private static String code(HttpResponse<String> response) {
        return new JsonObject(response.body()).getJsonArray("errors").getJsonObject(0).getString("code");
    }

    private static HttpResponse<String> send(HttpClient client, String method, String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create(gateway.url(path)))
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }
}
