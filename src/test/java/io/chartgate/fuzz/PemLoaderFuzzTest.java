package io.chartgate.fuzz;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.chartgate.config.CrlStale;
import io.chartgate.identity.IdentityExtractor;
import io.chartgate.tls.CrlSet;
import io.chartgate.tls.PemLoader;
import io.chartgate.tls.TlsException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;

/**
 * Whatever bytes sit in a file the configuration names as a certificate, key, PKCS#12 store or CRL: every
 * loader answers with its value or a {@link TlsException}, nothing else. A CRL that loads is then consulted for
 * a client certificate of the CA the seed CRLs come from ({@code pki/}), and a certificate that loads gives an
 * identity or an {@link IllegalArgumentException}.
 */
class PemLoaderFuzzTest {

    private static final Path FILE;
    private static final X509Certificate CLIENT;
    private static final X509Certificate CA;
    private static final char[] PASSWORD = "fuzz-pass".toCharArray();

    static {
        try {
            Path dir = Files.createTempDirectory("chartgate-pem-fuzz");
            dir.toFile().deleteOnExit();
            FILE = dir.resolve("input.pem");
            FILE.toFile().deleteOnExit();
            CLIENT = PemLoader.certificates(resource("pki/client.crt")).get(0);
            CA = PemLoader.certificates(resource("pki/ca.crt")).get(0);
        } catch (IOException | TlsException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static Path resource(String name) {
        try {
            return Path.of(PemLoaderFuzzTest.class.getResource(name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @FuzzTest(maxDuration = "10m")
    void load(byte[] input) {
        try {
            Files.write(FILE, input);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            for (X509Certificate certificate : PemLoader.certificates(FILE)) {
                try {
                    assertNotNull(IdentityExtractor.fromCertificate(certificate, certificate).fingerprint());
                } catch (IllegalArgumentException unreadableSans) {
                    // declared: the SANs cannot be parsed
                }
            }
        } catch (TlsException refused) {
            assertFalse(refused.problem().isBlank());
        }
        for (char[] password : new char[][] {null, PASSWORD}) {
            try {
                assertNotNull(PemLoader.privateKey(FILE, password));
            } catch (TlsException refused) {
                assertFalse(refused.problem().isBlank());
            }
        }
        try {
            List<X509CRL> crls = PemLoader.crls(FILE);
            for (CrlStale stale : CrlStale.values()) {
                // the CRLs the seed CA signed are kept and consulted; a fuzzed one fails its signature check
                new CrlSet(crls, List.of(CA), stale).refusal(CLIENT, CA, Instant.now());
            }
        } catch (TlsException refused) {
            assertFalse(refused.problem().isBlank());
        }
        try {
            assertNotNull(PemLoader.pkcs12(FILE, PASSWORD).key());
        } catch (TlsException refused) {
            assertFalse(refused.problem().isBlank());
        }
    }
}
