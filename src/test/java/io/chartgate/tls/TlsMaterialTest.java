package io.chartgate.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chartgate.config.ClientAuth;
import io.chartgate.config.ConfigError;
import io.chartgate.config.ConfigException;
import io.chartgate.config.CrlStale;
import io.chartgate.config.Secret;
import io.chartgate.config.TlsConfig;
import io.chartgate.testing.Openssl;
import io.chartgate.testing.TestPki;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TlsMaterialTest {

    @TempDir
    static Path dir;

    private static TestPki pki;
    private static TestPki rogue;
    private static TestPki.Issued server;

    @BeforeAll
    static void pki() {
        pki = TestPki.create(dir.resolve("pki"), "Chartgate Test CA");
        rogue = TestPki.create(dir.resolve("rogue"), "Chartgate Test CA");
        server = pki.server("gateway").issue();
    }

    private static TlsConfig pem(Path cert, Path key, Secret password, List<Path> crls) {
        return new TlsConfig(cert, key, password, null, null, pki.caFile(), null, ClientAuth.REQUIRED, crls, CrlStale.REJECT,
                TlsConfig.SUPPORTED_PROTOCOLS);
    }

    private static List<String> errors(TlsConfig config) {
        ConfigException e = assertThrows(ConfigException.class, () -> TlsMaterial.load(config, Instant.now()));
        return e.errors().stream().map(ConfigError::toString).toList();
    }

    @Test
    void aGoodSetLoadsWithCasAndCrls() throws Exception {
        TlsMaterial m = TlsMaterial.load(pem(server.certFile(), server.keyFile(), null, List.of(pki.crlFile())), Instant.now());
        assertEquals(1, m.serverChain().size());
        assertEquals(1, m.clientCas().size());
        assertEquals(1, m.crls().size());
        assertTrue(m.warnings().isEmpty(), m.warnings()::toString);
    }

    @Test
    void aKeyThatDoesNotMatchTheCertificateIsReportedOnKeyFile() {
        TestPki.Issued other = pki.server("other").issue();
        List<String> errors = errors(pem(server.certFile(), other.keyFile(), null, List.of()));
        assertEquals(1, errors.size());
        assertTrue(errors.get(0).startsWith("server.tls.keyFile: " + other.keyFile() + ": the key does not match the certificate CN=gateway"),
                errors::toString);
    }

    @Test
    void anExpiredServerCertificateIsReportedOnCertFile() {
        TestPki.Issued expired = pki.server("old-gateway").expired().issue();
        List<String> errors = errors(pem(expired.certFile(), expired.keyFile(), null, List.of()));
        assertEquals(1, errors.size());
        assertTrue(errors.get(0).matches("server\\.tls\\.certFile: .*old-gateway\\.crt: certificate CN=old-gateway \\(serial [0-9a-f]+\\) expired on .*"),
                errors::toString);
    }

    @Test
    void aCrlFromAnotherCaWithTheSameNameIsRefused() {
        List<String> errors = errors(pem(server.certFile(), server.keyFile(), null, List.of(pki.crlFile(), rogue.crlFile())));
        assertEquals(List.of("server.tls.crlFiles[1]: " + rogue.crlFile() + ": CRL not signed by a configured CA (clientCaFile or intermediateCaFile; issuer CN=Chartgate Test CA)"),
                errors);
    }

    @Test
    void everyBrokenFileIsReportedAtOnce() throws Exception {
        Path encrypted = dir.resolve("server-enc.key");
        Openssl.run(dir, "pkcs8", "-topk8", "-in", server.keyFile().toString(), "-v2", "aes-256-cbc", "-passout", "pass:right",
                "-out", encrypted.toString());
        TlsConfig config = new TlsConfig(server.certFile(), encrypted, new Secret("wrong"), null, null, dir.resolve("missing-ca.crt"), null,
                ClientAuth.REQUIRED, List.of(server.keyFile()), CrlStale.REJECT, TlsConfig.SUPPORTED_PROTOCOLS);
        List<String> errors = errors(config);
        assertEquals(3, errors.size(), errors::toString);
        assertEquals("server.tls.keyFile: " + encrypted + ": wrong password (the encrypted key could not be decrypted)", errors.get(0));
        assertEquals("server.tls.clientCaFile: " + dir.resolve("missing-ca.crt") + ": file not found", errors.get(1));
        assertTrue(errors.get(2).startsWith("server.tls.crlFiles[0]: " + server.keyFile() + ": holds a private key, not a CRL"), errors::toString);
        assertTrue(errors.stream().noneMatch(e -> e.contains("wrong\"") || e.contains("right")), "no password in errors");
    }

    @Test
    void anEncryptedServerKeyLoadsWithItsPassword() throws Exception {
        Path legacy = dir.resolve("server-legacy.key");
        Openssl.run(dir, "ec", "-in", server.keyFile().toString(), "-des3", "-passout", "pass:pw", "-out", legacy.toString());
        TlsMaterial m = TlsMaterial.load(pem(server.certFile(), legacy, new Secret("pw"), List.of()), Instant.now());
        assertTrue(PemLoader.matches(m.serverKey(), m.serverChain().get(0).getPublicKey()));
    }

    @Test
    void aKeyStoreReplacesPemFiles() throws Exception {
        Openssl.run(dir, "pkcs12", "-export", "-inkey", server.keyFile().toString(), "-in", server.certFile().toString(),
                "-passout", "pass:store", "-out", "server.p12");
        TlsConfig config = new TlsConfig(null, null, null, dir.resolve("server.p12"), new Secret("store"), pki.caFile(), null,
                ClientAuth.OPTIONAL, List.of(), CrlStale.WARN, List.of("TLSv1.3"));
        assertEquals("CN=gateway", TlsMaterial.load(config, Instant.now()).serverChain().get(0).getSubjectX500Principal().getName());
    }

    @Test
    void aStaleCrlIsAWarningNamingItsIssuerAndTime() throws Exception {
        TestPki stale = TestPki.create(dir.resolve("stale"), "Stale CA");
        stale.writeCrl(Instant.now().minus(Duration.ofHours(1)));
        TlsConfig config = new TlsConfig(server.certFile(), server.keyFile(), null, null, null, stale.caFile(), null, ClientAuth.REQUIRED,
                List.of(stale.crlFile()), CrlStale.REJECT, TlsConfig.SUPPORTED_PROTOCOLS);
        List<String> warnings = TlsMaterial.load(config, Instant.now()).warnings();
        assertEquals(1, warnings.size());
        assertTrue(warnings.get(0).contains("CRL for CN=Stale CA expired at "), warnings::toString);
    }
}
