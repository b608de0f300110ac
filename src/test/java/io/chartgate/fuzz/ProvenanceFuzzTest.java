package io.chartgate.fuzz;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.chartgate.helm.Provenance;
import io.chartgate.testing.PgpKeys;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bouncycastle.openpgp.PGPPublicKeyRingCollection;

/**
 * A provenance file as a client uploads it to a route with {@code requireProvenance}: {@link Provenance#verify}
 * refuses with {@link Provenance.Refused} and a reason word, never any other exception, and what it accepts
 * holds a files map.
 */
class ProvenanceFuzzTest {

    private static final PGPPublicKeyRingCollection KEYRING;

    static {
        try {
            Path dir = Files.createTempDirectory("chartgate-fuzz-pgp");
            KEYRING = Provenance.keyring(PgpKeys.create(dir, "Fuzz Signer").publicKeyring());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest(maxDuration = "10m")
    void verify(byte[] input) {
        try {
            Provenance.Signed signed = Provenance.verify(input, KEYRING);
            assertNotNull(signed.files());
        } catch (Provenance.Refused refused) {
            assertFalse(refused.reason() == null || refused.reason().isBlank(), "a refusal names its reason");
        }
    }
}
