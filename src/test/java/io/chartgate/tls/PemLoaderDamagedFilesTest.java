package io.chartgate.tls;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Damaged files that PemLoaderFuzzTest found: each is a TlsException naming the file, never another exception. */
class PemLoaderDamagedFilesTest {

    @TempDir
    Path dir;

    private Path fuzzInput(String name) throws Exception {
        Path file = dir.resolve(name);
        try (InputStream in = getClass().getResourceAsStream("/io/chartgate/fuzz/PemLoaderFuzzTestInputs/load/" + name)) {
            Files.copy(in, file);
        }
        return file;
    }

    /** A PEM CRL whose inner length runs past its sequence: Bouncy Castle threw ASN1ParsingException when converting it. */
    @Test
    void aCrlWithABadInnerLengthIsDamaged() throws Exception {
        Path file = fuzzInput("crash-crl-bad-inner-length");
        TlsException e = assertThrows(TlsException.class, () -> PemLoader.crls(file));
        assertTrue(e.problem().startsWith("holds a damaged CRL"), e.problem());
    }
}
