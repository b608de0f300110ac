package io.chartgate.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chartgate.helm.SampleRepository;
import io.chartgate.testing.GatewayHarness;
import io.chartgate.testing.HelmCli;
import io.chartgate.testing.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The real helm 3 and helm 4 CLIs against the gateway: the whole read workflow with a good certificate, and
 * the refusal each client certificate problem produces, as helm prints it.
 */
class HelmIT {

    @TempDir
    static Path dir;

    private static TestPki pki;
    private static GatewayHarness gateway;
    private static TestPki.Issued reader;
    private static TestPki.Issued outsider;

    @BeforeAll
    static void start() {
        pki = TestPki.create(dir, "Helm IT CA");
        pki.server("localhost").issue();
        reader = pki.client("reader").ou("engineering").issue();
        outsider = pki.client("outsider").ou("marketing").issue();
        pki.client("revoked").ou("engineering").revoked().issue();
        pki.client("expired").ou("engineering").expired().issue();
        pki.client("early").ou("engineering").notYetValid().issue();
        TestPki rogue = TestPki.create(dir.resolve("rogue"), "Helm IT CA");
        rogue.client("mallory").ou("engineering").issue();
        SampleRepository.write(dir.resolve("charts"));
        gateway = GatewayHarness.start(dir, """
                server:
                  host: 127.0.0.1
                  port: 0
                  tls: { certFile: localhost.crt, keyFile: localhost.key, clientCaFile: ca.crt, crlFiles: [ca.crl] }
                admin: { port: 0 }
                routes:
                  - { name: charts, prefix: /, upstream: { type: file, dir: charts } }
                policy:
                  rules:
                    - { name: engineering, match: { ou: engineering }, read: ["/**"] }
                """);
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    private static HelmCli.Result repoAdd(HelmCli helm, String name, Path cert, Path key) {
        return helm.run(dir, "repo", "add", name, gateway.url(""), "--cert-file", cert.toString(), "--key-file", key.toString(),
                "--ca-file", pki.caFile().toString());
    }

    @ParameterizedTest(name = "helm {0}")
    @ValueSource(strings = {"3", "4"})
    void helmAddsUpdatesSearchesPullsAndTemplatesThroughTheGateway(String major) throws Exception {
        HelmCli helm = HelmCli.of(major, dir.resolve("home-ok-" + major));
        HelmCli.Result add = repoAdd(helm, "gw", reader.certFile(), reader.keyFile());
        assertTrue(add.ok(), add::toString);
        HelmCli.Result update = helm.run(dir, "repo", "update", "gw");
        assertTrue(update.ok() && update.output().contains("Successfully got an update from the \"gw\""), update::toString);
        HelmCli.Result search = helm.run(dir, "search", "repo", "gw/hello", "--versions");
        assertTrue(search.output().contains("gw/hello\t0.2.0") || search.output().matches("(?s).*gw/hello\\s+0\\.2\\.0.*"), search::toString);
        assertTrue(search.output().matches("(?s).*gw/hello\\s+0\\.1\\.0.*"), search::toString);
        Path pulls = Files.createDirectories(dir.resolve("pulls-" + major));
        HelmCli.Result pull = helm.run(pulls, "pull", "gw/hello", "--version", "0.2.0");
        assertTrue(pull.ok(), pull::toString);
        assertEquals(SampleRepository.digest(dir.resolve("charts/hello-0.2.0.tgz")), SampleRepository.digest(pulls.resolve("hello-0.2.0.tgz")));
        HelmCli.Result template = helm.run(dir, "template", "demo", "gw/hello", "--version", "0.1.0");
        assertTrue(template.ok() && template.output().contains("name: demo-hello"), template::toString);
    }

    @ParameterizedTest(name = "helm {0}")
    @ValueSource(strings = {"3", "4"})
    void eachRefusalIsNamedInHelmsOwnWords(String major) {
        HelmCli helm = HelmCli.of(major, dir.resolve("home-refused-" + major));
        assertRefused(repoAdd(helm, "revoked", dir.resolve("revoked.crt"), dir.resolve("revoked.key")),
                "remote error: tls: revoked certificate");
        assertRefused(repoAdd(helm, "expired", dir.resolve("expired.crt"), dir.resolve("expired.key")),
                "remote error: tls: expired certificate");
        // TLS has one alert for both: certificate_expired means "expired or not currently valid" (RFC 8446 6.2)
        assertRefused(repoAdd(helm, "early", dir.resolve("early.crt"), dir.resolve("early.key")),
                "remote error: tls: expired certificate");
        // helm offers only a certificate whose issuer the server names; a rogue CA's with the same name
        // is offered (the name matches) and refused as unknown
        assertRefused(repoAdd(helm, "rogue", dir.resolve("rogue/mallory.crt"), dir.resolve("rogue/mallory.key")),
                "remote error: tls: unknown certificate authority");
        HelmCli.Result none = helm.run(dir, "repo", "add", "none", gateway.url(""), "--ca-file", pki.caFile().toString());
        assertFalse(none.ok(), none::toString);
        assertTrue(none.output().contains("certificate required"), none::toString);
        HelmCli.Result forbidden = repoAdd(helm, "outsider", outsider.certFile(), outsider.keyFile());
        assertRefused(forbidden, "403 outsider may not read /index.yaml");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"revoked", "expired", "mallory"})
    void eachRefusedHandshakeIsOneLogLineWithTheSubjectAndReason(String who) {
        HelmCli helm = HelmCli.of("4", dir.resolve("home-log-" + who));
        Path base = who.equals("mallory") ? dir.resolve("rogue") : dir;
        assertFalse(repoAdd(helm, who, base.resolve(who + ".crt"), base.resolve(who + ".key")).ok());
        String reason = who.equals("mallory") ? "unknown_ca" : who;
        var line = gateway.awaitLog(e -> "tls_handshake_failed".equals(e.get("event")) && reason.equals(e.get("reason"))
                && String.valueOf(e.get("subject")).startsWith("CN=" + who + ","));
        assertTrue(String.valueOf(line.get("fingerprint")).matches("[0-9a-f]{64}"), line::toString);
        assertTrue(String.valueOf(line.get("remote")).startsWith("127.0.0.1:"), line::toString);
    }

    private static void assertRefused(HelmCli.Result result, String expected) {
        assertFalse(result.ok(), result::toString);
        assertTrue(result.output().contains(expected), () -> "expected \"" + expected + "\" in " + result);
    }
}
