package io.chartgate.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/** The bomb the index tests throw is real gzip: the JDK's own decoder reads all of it and checks its CRC and length. */
class GzipBombTest {

    @Test
    void itInflatesToThePrefixAndExactlyTheZerosAskedFor() throws IOException {
        byte[] prefix = "apiVersion: v1\nentries:\n".getBytes(StandardCharsets.UTF_8);
        byte[] bomb = GzipBomb.of(prefix, 64);
        assertTrue(bomb.length < 100_000, () -> "64 MiB of zeros took " + bomb.length + " bytes");
        long zeros = 0;
        byte[] head = new byte[prefix.length];
        // GZIPInputStream checks the trailer's CRC-32 and length at the end and throws when either is wrong
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(bomb), 1 << 16)) {
            assertEquals(prefix.length, in.readNBytes(head, 0, head.length));
            byte[] buffer = new byte[1 << 20];
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                for (int i = 0; i < n; i++) {
                    if (buffer[i] != 0) {
                        throw new AssertionError("a non-zero byte after the prefix");
                    }
                }
                zeros += n;
            }
        }
        assertArrayEquals(prefix, head);
        assertEquals(64L << 20, zeros);
    }
}
