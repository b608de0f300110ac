package io.chartgate.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chartgate.testing.TestPki;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** {@code config check} on the shipped configuration files and on broken ones, through the real CLI. */
class ConfigCheckCommandTest {

    private static final Map<String, String> ENV = Map.of(
            "CM_PASSWORD", "museum-password",
            "CHARTS_AWS_ACCESS_KEY_ID", "AKIAEXAMPLE",
            "CHARTS_AWS_SECRET_ACCESS_KEY", "example-secret");

    @TempDir
    static Path copy;

    /** A copy of conf/ with the certificates and directories the shipped files name. */
    @BeforeAll
    static void copyConfWithItsFiles() throws IOException {
        Path conf = copy.resolve("conf");
        Files.createDirectories(conf.resolve("examples"));
        for (Path p : shippedFiles().toList()) {
            Files.copy(p, conf.resolve(Path.of("conf").relativize(p)));
        }
        TestPki pki = TestPki.create(conf.resolve("certs"), "Example CA");
        pki.server("server").issue();
        Files.createDirectories(conf.resolve("charts"));
    }

    static Stream<Path> shippedFiles() throws IOException {
        try (Stream<Path> examples = Files.list(Path.of("conf/examples"))) {
            List<Path> files = examples.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
            assertFalse(files.isEmpty(), "conf/examples holds no .yaml file");
            return Stream.concat(Stream.of(Path.of("conf/chartgate.yaml")), files.stream());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shippedFiles")
    void everyShippedFilePassesTheFullCheck(Path shipped) {
        Path file = copy.resolve(shipped);
        CliRunner.Result r = new CliRunner(ENV).run("config", "check", "--config", file.toString());
        assertEquals(0, r.exitCode(), r::toString);
        assertTrue(r.out().contains(file + ": OK ("), r::toString);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shippedFiles")
    void everyShippedFilePassesTheShapeCheckInPlace(Path shipped) {
        CliRunner.Result r = new CliRunner(ENV).run("config", "check", "--no-files", "--config", shipped.toString());
        assertEquals(0, r.exitCode(), r::toString);
        assertTrue(r.out().contains("files not loaded"), r::toString);
    }

    @Test
    void theSummaryNamesRoutesRulesAndListener() {
        CliRunner.Result r = new CliRunner(ENV).run("config", "check", "--config", copy.resolve("conf/chartgate.yaml").toString());
        assertTrue(r.out().contains("2 routes: museum / -> http, local /local -> file; 2 policy rules; clientAuth required; "
                + "TLS engine boringssl; listening on 0.0.0.0:8443"), r::toString);
    }

    @Test
    void anUnknownTlsEngineIsAnErrorUnderItsKeyPath() throws IOException {
        String shipped = Files.readString(copy.resolve("conf/chartgate.yaml"));
        assertTrue(shipped.contains("    # engine: boringssl "), "the commented example shows the key");
        Path file = Files.writeString(copy.resolve("conf/engine-typo.yaml"), shipped.replace("    # engine: boringssl ", "    engine: openssl3 "));
        CliRunner.Result r = new CliRunner(ENV).run("config", "check", "--no-files", "--config", file.toString());
        assertEquals(1, r.exitCode(), r::toString);
        assertTrue(r.err().contains("server.tls.engine: unknown value \"openssl3\" (expected boringssl, openssl, jdk)"), r::toString);
    }

    @Test
    void aFileWithThreeMistakesReportsAllThreeWithKeyPaths(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("broken.yaml"), """
                server:
                  port: 8443
                  tls:
                    certFile: server.crt
                    keyFile: server.key
                    clientCaFile: ca.crt
                    clientAuth: sometimes
                routes:
                  - name: museum
                    prefix: /
                    upstream: { type: ftp, url: "ftp://charts" }
                policy:
                  rules:
                    - name: developers
                      match: { ou: engineering }
                      reed: ["/**"]
                      read: ["/**"]
                """);
        CliRunner.Result r = new CliRunner(Map.of()).run("config", "check", "--config", file.toString());
        assertEquals(1, r.exitCode(), r::toString);
        assertEquals(file + ": 3 errors\n"
                + "  server.tls.clientAuth: unknown value \"sometimes\" (expected required, optional)\n"
                + "  routes[0].upstream.type: unknown value \"ftp\" (expected http, s3, file, oci)\n"
                + "  policy.rules[0].reed: unknown key (did you mean \"read\"?)\n", r.err());
        assertEquals("", r.out());
    }

    @Test
    void withTwoTrustedCasARuleThatNamesNoIssuerIsAWarning(@TempDir Path dir) throws IOException {
        TestPki a = TestPki.create(dir.resolve("a"), "Team A CA");
        a.server("localhost").issue();
        TestPki b = TestPki.create(dir.resolve("b"), "Team B CA");
        Files.writeString(dir.resolve("cas.crt"), Files.readString(a.caFile()) + Files.readString(b.caFile()));
        Files.createDirectories(dir.resolve("charts"));
        Path file = Files.writeString(dir.resolve("two.yaml"), """
                server: { tls: { certFile: a/localhost.crt, keyFile: a/localhost.key, clientCaFile: cas.crt } }
                routes: [{ name: local, prefix: /, upstream: { type: file, dir: charts } }]
                policy:
                  rules:
                    - { name: anyone, match: { ou: engineering }, read: ["/**"] }
                    - { name: team-a, match: { issuer: "CN=Team A CA", ou: engineering }, read: ["/**"] }
                    - { name: intermediate, match: { issuer: "CN=Team A Issuing" }, read: ["/**"] }
                """);
        CliRunner.Result r = new CliRunner(Map.of()).run("config", "check", "--config", file.toString());
        assertEquals(0, r.exitCode(), r::toString);
        assertTrue(r.out().contains("warning: policy.rules[0] (anyone) names no issuer, so certificates from any of the 2 "
                + "trusted client CAs match it (add match.issuer or match.issuerFingerprint)"), r::toString);
        assertFalse(r.out().contains("policy.rules[1] (team-a)"), r::toString);
        assertTrue(r.out().contains("warning: policy.rules[2] (intermediate): issuer \"CN=Team A Issuing\" names no CA in "
                + "clientCaFile"), r::toString);
    }

    @Test
    void missingFilesAreReportedUnderTheKeyThatNamesThem(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("files.yaml"), """
                server: { tls: { certFile: server.crt, keyFile: server.key, clientCaFile: ca.crt } }
                routes: [{ name: local, prefix: /, upstream: { type: file, dir: charts } }]
                """);
        CliRunner.Result r = new CliRunner(Map.of()).run("config", "check", "--config", file.toString());
        assertEquals(1, r.exitCode(), r::toString);
        assertTrue(r.err().contains("server.tls.certFile: " + dir.resolve("server.crt") + ": file not found"), r::toString);
        assertTrue(r.err().contains("server.tls.keyFile: " + dir.resolve("server.key") + ": file not found"), r::toString);
        assertTrue(r.err().contains("server.tls.clientCaFile: " + dir.resolve("ca.crt") + ": file not found"), r::toString);
        assertTrue(r.err().contains("routes[0].upstream.dir: " + dir.resolve("charts") + ": not a directory"), r::toString);
    }

    @Test
    void aMissingConfigFileIsSaidPlainly(@TempDir Path dir) {
        CliRunner.Result r = new CliRunner(Map.of()).run("config", "check", "--config", dir.resolve("nope.yaml").toString());
        assertEquals(1, r.exitCode());
        assertTrue(r.err().contains("nope.yaml: file not found"), r::toString);
    }

    @Test
    void helpAndVersionWorkOnEveryCommand() {
        CliRunner cli = new CliRunner(Map.of());
        for (String[] args : List.of(new String[] {"--help"}, new String[] {"config", "check", "--help"},
                new String[] {"policy", "explain", "--help"}, new String[] {"run", "--help"}, new String[] {"demo", "--help"})) {
            CliRunner.Result r = cli.run(args);
            assertEquals(0, r.exitCode(), r::toString);
            assertTrue(r.out().startsWith("Usage: chartgate"), r::toString);
        }
        CliRunner.Result v = cli.run("--version");
        assertEquals(0, v.exitCode());
        assertTrue(v.out().startsWith("chartgate "), v::toString);
    }

    @Test
    void runIsTheDefaultCommand(@TempDir Path dir) {
        CliRunner.Result r = new CliRunner(Map.of()).run("--config", dir.resolve("absent.yaml").toString());
        assertEquals(1, r.exitCode(), r::toString);
        assertTrue(r.err().contains("absent.yaml: file not found"), r::toString);
    }
}
