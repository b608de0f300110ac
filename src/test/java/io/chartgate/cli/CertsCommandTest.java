package io.chartgate.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chartgate.testing.Openssl;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code certs} commands through the real command line, their output checked by the openssl CLI. */
class CertsCommandTest {

    @TempDir
    Path dir;

    private final CliRunner cli = new CliRunner(Map.of("CA_PW", "ca secret", "SERVER_PW", "server secret", "P12_PW", "p12"));

    private CliRunner.Result certs(String... args) {
        String[] all = new String[args.length + 1];
        all[0] = "certs";
        System.arraycopy(args, 0, all, 1, args.length);
        CliRunner.Result r = cli.run(all);
        assertEquals(0, r.exitCode(), r::toString);
        return r;
    }

    @Test
    void issuedCertificatesVerifyAndARevokedOneFailsTheCrlCheck() throws Exception {
        String ca = dir.resolve("ca").toString();
        certs("init-ca", "--dir", ca, "--cn", "Test Client CA");
        certs("issue", "--dir", ca, "client", "--cn", "bob", "--ou", "engineering", "--o", "Acme",
                "--san-email", "bob@acme.example", "--days", "30");
        certs("issue", "--dir", ca, "client", "--cn", "carol", "--ou", "engineering");
        Path caDir = dir.resolve("ca");
        assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE),
                Files.getPosixFilePermissions(caDir.resolve("bob.key")));
        assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE),
                Files.getPosixFilePermissions(caDir.resolve("ca.key")));
        assertTrue(Openssl.run(caDir, "verify", "-CAfile", "ca.crt", "-crl_check", "-CRLfile", "ca.crl", "bob.crt").contains("bob.crt: OK"));
        String subject = Openssl.run(caDir, "x509", "-in", "bob.crt", "-noout", "-subject", "-nameopt", "RFC2253");
        assertTrue(subject.contains("CN=bob,OU=engineering,O=Acme"), subject);
        Openssl.run(caDir, "pkey", "-in", "bob.key", "-noout");

        CliRunner.Result revoked = certs("revoke", "--dir", ca, "--cert", caDir.resolve("bob.crt").toString(), "--reason", "keyCompromise");
        assertTrue(revoked.out().contains("lists 1"), revoked::toString);
        AssertionError refused = assertThrows(AssertionError.class,
                () -> Openssl.run(caDir, "verify", "-CAfile", "ca.crt", "-crl_check", "-CRLfile", "ca.crl", "bob.crt"));
        assertTrue(refused.getMessage().contains("certificate revoked"), refused::getMessage);
        assertTrue(Openssl.run(caDir, "verify", "-CAfile", "ca.crt", "-crl_check", "-CRLfile", "ca.crl", "carol.crt").contains("OK"),
                "carol is not affected");
        String crl = Openssl.run(caDir, "crl", "-in", "ca.crl", "-noout", "-text");
        assertTrue(crl.contains("Key Compromise") && crl.contains("X509v3 CRL Number: \n                2"), crl);

        String list = certs("list", "--dir", ca).out();
        assertTrue(list.matches("(?s).*revoked\\s+CN=bob,OU=engineering,O=Acme \\(bob\\.crt\\).*"), list);
        assertTrue(list.matches("(?s).*valid\\s+CN=carol,OU=engineering \\(carol\\.crt\\).*"), list);
    }

    @Test
    void crlReSignsTheSameRevocationsWithALaterNextUpdateAndANewNumber() throws Exception {
        String ca = dir.resolve("ca").toString();
        Path caDir = dir.resolve("ca");
        certs("init-ca", "--dir", ca, "--crl-days", "1");
        certs("issue", "--dir", ca, "client", "--cn", "bob");
        certs("revoke", "--dir", ca, "--cert", caDir.resolve("bob.crt").toString(), "--crl-days", "1");
        String before = Openssl.run(caDir, "crl", "-in", "ca.crl", "-noout", "-nextupdate");

        CliRunner.Result renewed = certs("crl", "--dir", ca);
        assertTrue(renewed.out().contains("lists 1"), renewed::toString);
        String after = Openssl.run(caDir, "crl", "-in", "ca.crl", "-noout", "-text");
        assertTrue(after.contains("X509v3 CRL Number: \n                3"), after);
        assertTrue(!after.contains(before.trim().substring("nextUpdate=".length())), "nextUpdate moved on: " + before + after);
        AssertionError refused = assertThrows(AssertionError.class,
                () -> Openssl.run(caDir, "verify", "-CAfile", "ca.crt", "-crl_check", "-CRLfile", "ca.crl", "bob.crt"));
        assertTrue(refused.getMessage().contains("certificate revoked"), "bob stays revoked: " + refused.getMessage());
    }

    @Test
    void anEncryptedCaKeyAServerKeyWithAPasswordAndPkcs12AreReadableByOpenssl() throws Exception {
        String ca = dir.resolve("ca").toString();
        certs("init-ca", "--dir", ca, "--ca-key-password-env", "CA_PW", "--rsa");
        assertTrue(Files.readString(dir.resolve("ca/ca.key")).contains("ENCRYPTED PRIVATE KEY"));
        certs("issue", "--dir", ca, "--ca-key-password-env", "CA_PW", "server", "--cn", "charts.example.com",
                "--san-dns", "charts.example.com", "--san-ip", "10.0.0.5", "--key-password-env", "SERVER_PW",
                "--p12", "--p12-password-env", "P12_PW");
        Path caDir = dir.resolve("ca");
        Openssl.run(caDir, "pkey", "-in", "charts.example.com.key", "-passin", "pass:server secret", "-noout");
        Openssl.run(caDir, "pkcs12", "-in", "charts.example.com.p12", "-passin", "pass:p12", "-noout");
        String text = Openssl.run(caDir, "x509", "-in", "charts.example.com.crt", "-noout", "-text");
        assertTrue(text.contains("DNS:charts.example.com") && text.contains("IP Address:10.0.0.5")
                && text.contains("TLS Web Server Authentication"), text);
        CliRunner.Result wrong = new CliRunner(Map.of("CA_PW", "nope")).run("certs", "issue", "--dir", ca,
                "--ca-key-password-env", "CA_PW", "client", "--cn", "x");
        assertEquals(1, wrong.exitCode(), wrong::toString);
        assertTrue(wrong.err().contains("wrong password"), wrong::toString);
    }

    @Test
    void mistakesAreRefusedWithoutOverwritingAnything() {
        String ca = dir.resolve("ca").toString();
        certs("init-ca", "--dir", ca);
        assertEquals(1, cli.run("certs", "init-ca", "--dir", ca).exitCode(), "a second init-ca must not replace the CA");
        assertEquals(2, cli.run("certs", "issue", "--dir", ca, "client", "--cn", "bob", "--key-password-env", "SERVER_PW").exitCode(),
                "encrypted client keys are refused: helm cannot read them");
        assertEquals(2, cli.run("certs", "issue", "--dir", ca, "laptop", "--cn", "bob").exitCode());
        assertEquals(2, cli.run("certs", "revoke", "--dir", ca).exitCode(), "--serial or --cert is required");
        assertEquals(2, cli.run("certs", "revoke", "--dir", ca, "--serial", "xyz").exitCode());
    }
}
