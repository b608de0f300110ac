package io.chartgate.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chartgate.testing.Openssl;
import io.chartgate.testing.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPrivateKey;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Keys in every format the gateway accepts, made by the real openssl CLI at test time and by Bouncy Castle. */
class PemLoaderTest {

    private static final String PASSWORD = "s3cret pass";

    @TempDir
    static Path dir;

    @BeforeAll
    static void makeKeysWithOpenssl() throws Exception {
        String pass = "pass:" + PASSWORD;
        // OpenSSL 3 writes encrypted PKCS#8 (PBES2) for genrsa -des3
        Openssl.run(dir, "genrsa", "-des3", "-passout", pass, "-out", "rsa4096-des3.key", "4096");
        // legacy PEM encryption with Proc-Type/DEK-Info headers
        Openssl.run(dir, "genrsa", "-traditional", "-des3", "-passout", pass, "-out", "rsa-legacy-des3.key", "2048");
        Openssl.run(dir, "genrsa", "-traditional", "-aes256", "-passout", pass, "-out", "rsa-legacy-aes256.key", "2048");
        Openssl.run(dir, "genrsa", "-traditional", "-aes128", "-passout", pass, "-out", "rsa-legacy-aes128.key", "2048");
        Openssl.run(dir, "genrsa", "-traditional", "-out", "rsa-pkcs1.key", "2048");
        Openssl.run(dir, "genrsa", "-out", "rsa-pkcs8.key", "2048");
        // SEC1 with an EC PARAMETERS block in front, as ecparam -genkey writes it
        Openssl.run(dir, "ecparam", "-genkey", "-name", "prime256v1", "-out", "ec-sec1.key");
        Openssl.run(dir, "pkcs8", "-topk8", "-in", "ec-sec1.key", "-v2", "aes-256-cbc", "-passout", pass, "-out", "ec-pkcs8-enc.key");
        Openssl.run(dir, "pkcs8", "-topk8", "-nocrypt", "-in", "ec-sec1.key", "-out", "ec-pkcs8.key");
        Openssl.run(dir, "ec", "-in", "ec-sec1.key", "-aes256", "-passout", pass, "-out", "ec-legacy-aes256.key");
        Openssl.run(dir, "genpkey", "-algorithm", "ed25519", "-out", "ed25519.key");
        for (String key : List.of("rsa4096-des3", "rsa-legacy-des3", "rsa-legacy-aes256", "rsa-legacy-aes128", "rsa-pkcs1",
                "rsa-pkcs8", "ec-sec1", "ec-pkcs8-enc", "ec-pkcs8", "ec-legacy-aes256", "ed25519")) {
            Openssl.run(dir, "req", "-x509", "-new", "-key", key + ".key", "-passin", pass, "-subj", "/CN=" + key,
                    "-days", "2", "-out", key + ".crt");
        }
        Openssl.run(dir, "pkcs12", "-export", "-inkey", "ec-sec1.key", "-in", "ec-sec1.crt", "-passout", pass, "-out", "ec.p12");
        Openssl.run(dir, "pkcs12", "-export", "-inkey", "rsa4096-des3.key", "-passin", pass, "-in", "rsa4096-des3.crt",
                "-passout", pass, "-out", "rsa.p12");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            rsa4096-des3      | true  | ENCRYPTED PRIVATE KEY
            rsa-legacy-des3   | true  | DEK-Info: DES-EDE3-CBC
            rsa-legacy-aes256 | true  | DEK-Info: AES-256-CBC
            rsa-legacy-aes128 | true  | DEK-Info: AES-128-CBC
            rsa-pkcs1         | false | BEGIN RSA PRIVATE KEY
            rsa-pkcs8         | false | BEGIN PRIVATE KEY
            ec-sec1           | false | BEGIN EC PRIVATE KEY
            ec-pkcs8-enc      | true  | ENCRYPTED PRIVATE KEY
            ec-pkcs8          | false | BEGIN PRIVATE KEY
            ec-legacy-aes256  | true  | DEK-Info: AES-256-CBC
            ed25519           | false | BEGIN PRIVATE KEY
            """)
    void opensslKeysLoadAndMatchTheirCertificates(String name, boolean encrypted, String marker) throws Exception {
        Path keyFile = dir.resolve(name + ".key");
        assertTrue(Files.readString(keyFile).contains(marker), () -> name + " is not in the expected format");
        PrivateKey key = PemLoader.privateKey(keyFile, encrypted ? PASSWORD.toCharArray() : null);
        X509Certificate cert = PemLoader.certificates(dir.resolve(name + ".crt")).get(0);
        assertTrue(PemLoader.matches(key, cert.getPublicKey()), name);
    }

    @Test
    void theOpenssl3DefaultForGenrsaDes3IsA4096BitKey() throws Exception {
        RSAPrivateKey key = (RSAPrivateKey) PemLoader.privateKey(dir.resolve("rsa4096-des3.key"), PASSWORD.toCharArray());
        assertEquals(4096, key.getModulus().bitLength());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"rsa4096-des3", "rsa-legacy-des3", "rsa-legacy-aes256", "ec-pkcs8-enc", "ec-legacy-aes256"})
    void aWrongPasswordIsSaidToBeOne(String name) {
        TlsException e = assertThrows(TlsException.class,
                () -> PemLoader.privateKey(dir.resolve(name + ".key"), "wrong".toCharArray()));
        assertEquals("wrong password (the encrypted key could not be decrypted)", e.problem());
        assertTrue(e.getMessage().startsWith(dir.resolve(name + ".key").toString()), e::getMessage);
    }

    @Test
    void anEncryptedKeyWithoutAPasswordAsksForOne() {
        TlsException e = assertThrows(TlsException.class, () -> PemLoader.privateKey(dir.resolve("rsa-legacy-des3.key"), null));
        assertEquals("the key is encrypted but no password is configured (expected keyPassword)", e.problem());
    }

    @Test
    void aCertificateIsNotAKey() {
        TlsException e = assertThrows(TlsException.class, () -> PemLoader.privateKey(dir.resolve("rsa-pkcs8.crt"), null));
        assertTrue(e.problem().startsWith("holds a certificate, not a PEM private key"), e::problem);
    }

    @Test
    void aKeyIsNotACertificate() {
        TlsException e = assertThrows(TlsException.class, () -> PemLoader.certificates(dir.resolve("rsa-pkcs8.key")));
        assertTrue(e.problem().startsWith("holds a private key, not a PEM certificate"), e::problem);
    }

    @Test
    void garbageAndMissingFilesAreNamed() throws Exception {
        Path garbage = Files.writeString(dir.resolve("garbage.pem"), "hello\n");
        assertTrue(assertThrows(TlsException.class, () -> PemLoader.privateKey(garbage, null)).problem().startsWith("holds no PEM data"));
        assertEquals("file not found",
                assertThrows(TlsException.class, () -> PemLoader.certificates(dir.resolve("absent.crt"))).problem());
    }

    @Test
    void aKeyFromAnotherPairDoesNotMatch() throws Exception {
        PrivateKey key = PemLoader.privateKey(dir.resolve("rsa-pkcs1.key"), null);
        X509Certificate other = PemLoader.certificates(dir.resolve("rsa-pkcs8.crt")).get(0);
        assertEquals(false, PemLoader.matches(key, other.getPublicKey()));
        PrivateKey ec = PemLoader.privateKey(dir.resolve("ec-sec1.key"), null);
        assertEquals(false, PemLoader.matches(ec, other.getPublicKey()));
    }

    @Test
    void pkcs12StoresFromOpensslLoadWithTheirChain() throws Exception {
        for (String store : List.of("ec.p12", "rsa.p12")) {
            PemLoader.KeyAndChain entry = PemLoader.pkcs12(dir.resolve(store), PASSWORD.toCharArray());
            assertEquals(1, entry.chain().size());
            assertTrue(PemLoader.matches(entry.key(), entry.chain().get(0).getPublicKey()), store);
        }
        TlsException e = assertThrows(TlsException.class, () -> PemLoader.pkcs12(dir.resolve("ec.p12"), "nope".toCharArray()));
        assertEquals("wrong password (the PKCS#12 store could not be opened)", e.problem());
    }

    @Test
    void bouncyCastleMadeKeysCertificatesAndCrlsRoundTrip() throws Exception {
        TestPki pki = TestPki.create(dir.resolve("bc"), "BC Test CA");
        TestPki.Issued bob = pki.client("bob").issue();
        TestPki.Issued rsa = pki.client("rsa-bob").rsa().issue();
        for (TestPki.Issued issued : List.of(bob, rsa)) {
            PrivateKey key = PemLoader.privateKey(issued.keyFile(), null);
            assertTrue(PemLoader.matches(key, PemLoader.certificates(issued.certFile()).get(0).getPublicKey()));
        }
        pki.client("dave").revoked().issue();
        assertEquals(1, PemLoader.crls(pki.crlFile()).get(0).getRevokedCertificates().size());
        // openssl agrees with what Bouncy Castle wrote
        Openssl.run(pki.dir(), "verify", "-CAfile", "ca.crt", "bob.crt");
        Openssl.run(pki.dir(), "crl", "-in", "ca.crl", "-CAfile", "ca.crt", "-noout");
    }

    @Test
    void caBundlesHoldSeveralCertificatesInOrder() throws Exception {
        Path bundle = dir.resolve("bundle.pem");
        Files.writeString(bundle, Files.readString(dir.resolve("ec-sec1.crt")) + Files.readString(dir.resolve("rsa-pkcs1.crt")));
        List<X509Certificate> certs = PemLoader.certificates(bundle);
        assertEquals(List.of("CN=ec-sec1", "CN=rsa-pkcs1"), certs.stream().map(c -> c.getSubjectX500Principal().getName()).toList());
    }

    @Test
    void derCrlsAreReadToo() throws Exception {
        TestPki pki = TestPki.create(dir.resolve("der"), "DER CA");
        Openssl.run(pki.dir(), "crl", "-in", "ca.crl", "-outform", "DER", "-out", "ca.crl.der");
        assertEquals(1, PemLoader.crls(pki.dir().resolve("ca.crl.der")).size());
    }
}
