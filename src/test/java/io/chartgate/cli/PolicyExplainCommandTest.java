package io.chartgate.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chartgate.testing.Openssl;
import io.chartgate.testing.TestPki;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code policy explain} with client certificates made by the openssl CLI, through the real command line. */
class PolicyExplainCommandTest {

    @TempDir
    static Path dir;

    private static Path config;
    private static final CliRunner CLI = new CliRunner(Map.of());

    @BeforeAll
    static void pkiAndConfig() throws IOException {
        TestPki pki = TestPki.create(dir, "Explain CA");
        pki.server("gateway").issue();
        Files.writeString(dir.resolve("client.ext"), "extendedKeyUsage = clientAuth\n");
        // bob: a CSR and a certificate signed by the test CA, all by openssl
        Openssl.run(dir, "ecparam", "-genkey", "-name", "prime256v1", "-noout", "-out", "bob.key");
        Openssl.run(dir, "req", "-new", "-key", "bob.key", "-subj", "/O=Acme/OU=engineering/CN=bob", "-out", "bob.csr");
        Openssl.run(dir, "x509", "-req", "-in", "bob.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                "-days", "2", "-extfile", "client.ext", "-out", "bob.crt");
        // mallory: the same name, from a CA nobody configured
        Openssl.run(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", "mallory.key", "-subj", "/O=Acme/OU=engineering/CN=bob", "-days", "2", "-out", "mallory.crt");
        Files.createDirectories(dir.resolve("charts"));
        config = Files.writeString(dir.resolve("chartgate.yaml"), """
                server:
                  tls: { certFile: gateway.crt, keyFile: gateway.key, clientCaFile: ca.crt, clientAuth: optional }
                routes:
                  - { name: museum, prefix: /, upstream: { type: http, url: "http://127.0.0.1:8080" } }
                  - { name: local, prefix: /local, upstream: { type: file, dir: charts } }
                  - { name: teams, prefix: /teams, upstream: { type: http, url: "http://127.0.0.1:8081", filterIndex: true } }
                  - { name: registry, prefix: /v2, upstream: { type: oci, url: "http://127.0.0.1:5000" } }
                policy:
                  rules:
                    - name: release-bot
                      match: { cn: ci-release }
                      read: ["/**"]
                      write: ["/api/charts", "/api/charts/**"]
                    - name: developers
                      match: { ou: engineering }
                      read: ["/**"]
                      write: ["/local/**"]
                  anonymous: { read: ["/index.yaml"] }
                """);
    }

    private static CliRunner.Result explain(String cert, String method, String path) {
        return cert == null
                ? CLI.run("policy", "explain", "--config", config.toString(), "--method", method, "--path", path)
                : CLI.run("policy", "explain", "--config", config.toString(), "--cert", dir.resolve(cert).toString(),
                        "--method", method, "--path", path);
    }

    @Test
    void anAllowedReadNamesTheRuleAndExitsZero() {
        CliRunner.Result r = explain("bob.crt", "GET", "/charts/app-1.0.0.tgz");
        assertEquals(0, r.exitCode(), r::toString);
        assertTrue(r.out().contains("  subject      CN=bob,OU=engineering,O=Acme\n"), r::toString);
        assertTrue(r.out().contains("  trust        chains to CN=Explain CA (dates and CRLs checked)\n"), r::toString);
        assertTrue(r.out().contains("  issuer       CN=Explain CA\n"), r::toString);
        assertTrue(r.out().contains("  canonical    /charts/app-1.0.0.tgz\n"), r::toString);
        assertTrue(r.out().contains("  route        museum (prefix /, http upstream, path /charts/app-1.0.0.tgz)\n"), r::toString);
        assertTrue(r.out().contains("  access       read\n"), r::toString);
        assertTrue(r.out().contains("  release-bot  does not apply: cn \"bob\" is not \"ci-release\"\n"), r::toString);
        assertTrue(r.out().endsWith("decision     ALLOWED by rule developers\n"), r::toString);
    }

    @Test
    void aDeniedWriteSaysWhyAndExitsOne() {
        CliRunner.Result r = explain("bob.crt", "POST", "/api/charts");
        assertEquals(1, r.exitCode(), r::toString);
        assertTrue(r.out().contains("  developers   applies, but grants no write on /api/charts (write: [/local/**])\n"), r::toString);
        assertTrue(r.out().endsWith("decision     DENIED: 403 forbidden: bob may not write /api/charts\n"), r::toString);
    }

    @Test
    void anOciRequestIsDecidedOnItsRepository() {
        CliRunner.Result read = explain("bob.crt", "HEAD", "/v2/charts/manifests/demo/manifests/0.1.0");
        assertEquals(0, read.exitCode(), read::toString);
        assertTrue(read.out().contains("  repository   charts/manifests/demo (policy path /v2/charts/manifests/demo)\n"), read::toString);
        assertTrue(read.out().endsWith("decision     ALLOWED by rule developers\n"), read::toString);
        CliRunner.Result write = explain("bob.crt", "POST", "/v2/charts/demo/blobs/uploads/?mount=x&from=secret/demo");
        assertEquals(1, write.exitCode(), write::toString);
        assertTrue(write.out().endsWith("decision     DENIED: 403 DENIED: bob may not write /v2/charts/demo\n"), write::toString);
        CliRunner.Result outside = explain("bob.crt", "GET", "/v2/charts/demo/index.json");
        assertEquals(1, outside.exitCode(), outside::toString);
        assertTrue(outside.out().contains("DENIED: 400 NAME_INVALID: /v2/charts/demo/index.json is not an OCI distribution API path"),
                outside::toString);
        CliRunner.Result index = explain("bob.crt", "GET", "/v2/charts/index.yaml");
        assertEquals(0, index.exitCode(), index::toString);
        assertTrue(index.out().endsWith("lists only the repositories under charts it may pull\n"), index::toString);
    }

    @Test
    void aRejectedPathIsA400BeforeAnyPolicy() {
        CliRunner.Result r = explain("bob.crt", "GET", "/charts/%2e%2e/secret");
        assertEquals(1, r.exitCode(), r::toString);
        assertTrue(r.out().endsWith("decision     DENIED: 400 bad_request: the path holds a '..' segment\n"), r::toString);
    }

    @Test
    void aWriteToAFileUpstreamIs405EvenWhenThePolicyAllowsIt() {
        CliRunner.Result r = explain("bob.crt", "PUT", "/local/x.tgz");
        assertEquals(1, r.exitCode(), r::toString);
        assertTrue(r.out().endsWith("DENIED: 405 method_not_allowed: route local is a read-only file upstream\n"), r::toString);
    }

    @Test
    void aCertificateFromAnUnknownCaIsRefusedInTheHandshake() {
        CliRunner.Result r = explain("mallory.crt", "GET", "/index.yaml");
        assertEquals(1, r.exitCode(), r::toString);
        assertTrue(r.out().contains("  trust        the certificate CN=bob,OU=engineering,O=Acme"), r::toString);
        assertTrue(r.out().contains("  issuer       - (no trusted CA)\n"), r::toString);
        assertTrue(r.out().contains("decision     DENIED: refused in the TLS handshake: the certificate CN=bob"), r::toString);
        assertTrue(r.out().endsWith(" does not chain to a trusted client CA\n"), r::toString);
    }

    @Test
    void withoutACertificateTheAnonymousGrantsApply() {
        assertEquals(0, explain(null, "GET", "/index.yaml").exitCode());
        CliRunner.Result r = explain(null, "GET", "/charts/x.tgz");
        assertEquals(1, r.exitCode(), r::toString);
        assertTrue(r.out().endsWith("DENIED: 401 certificate_required: a client certificate is required to read /charts/x.tgz\n"),
                r::toString);
    }

    @Test
    void onAFilteredRouteItSaysWhetherTheChartAppearsInTheCallersIndex() {
        CliRunner.Result listed = explain("bob.crt", "GET", "/teams/a/app-1.0.0.tgz");
        assertEquals(0, listed.exitCode(), listed::toString);
        assertTrue(listed.out().contains("  index        a chart at this path appears in this caller's index.yaml (filterIndex)\n"),
                listed::toString);
        CliRunner.Result hidden = explain(null, "GET", "/teams/a/app-1.0.0.tgz");
        assertEquals(1, hidden.exitCode(), hidden::toString);
        assertTrue(hidden.out().contains("  index        a chart at this path is left out of this caller's index.yaml (filterIndex)\n"),
                hidden::toString);
        assertTrue(!explain("bob.crt", "GET", "/charts/app-1.0.0.tgz").out().contains("  index "), "unfiltered routes say nothing");
    }

    @Test
    void otherMethodsAre405() {
        CliRunner.Result r = explain("bob.crt", "OPTIONS", "/index.yaml");
        assertEquals(1, r.exitCode(), r::toString);
        assertTrue(r.out().endsWith("DENIED: 405 method_not_allowed: OPTIONS is neither a read nor a write\n"), r::toString);
    }

    @Test
    void badInputExitsTwo() throws IOException {
        assertEquals(2, explain("absent.crt", "GET", "/").exitCode());
        assertEquals(2, explain("bob.key", "GET", "/").exitCode());
        assertEquals(2, explain("bob.crt", "GE T", "/").exitCode());
        assertEquals(2, CLI.run("policy", "explain", "--config", config.toString()).exitCode(), "--path is required");
        Path broken = Files.writeString(dir.resolve("broken.yaml"), "routes: 1\n");
        CliRunner.Result r = CLI.run("policy", "explain", "--config", broken.toString(), "--path", "/");
        assertEquals(2, r.exitCode(), r::toString);
        assertTrue(r.err().contains("routes: expected a list, found 1"), r::toString);
    }
}
