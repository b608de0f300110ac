package io.chartgate.helm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

class GzipTest {

    private final AtomicLong held = new AtomicLong();

    private boolean reserve(long n) {
        held.addAndGet(n);
        return true;
    }

    private static byte[] gzip(byte[] plain, int times) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out) {
            {
                def.setLevel(Deflater.BEST_COMPRESSION);
            }
        }) {
            for (int i = 0; i < times; i++) {
                gz.write(plain);
            }
        }
        return out.toByteArray();
    }

    @Test
    void anIndexWithinTheBoundIsDecodedAndItsReservationReported() throws IOException {
        byte[] plain = "apiVersion: v1\nentries: {}\n".repeat(1000).getBytes();
        Gzip.Decoded decoded = Gzip.decode(gzip(plain, 1), 1 << 20, this::reserve, held::addAndGet);
        assertArrayEquals(plain, decoded.bytes());
        assertEquals(held.get(), decoded.reserved());
        assertTrue(decoded.reserved() >= plain.length);
    }

    @Test
    void aBombStopsAtTheBoundWithNothingLeftReserved() throws IOException {
        byte[] bomb = gzip(new byte[1 << 20], 256); // 256 MiB of zeros
        assertTrue(bomb.length < 1 << 20, "a few hundred KB compressed: " + bomb.length);
        Gzip.LimitException e = assertThrows(Gzip.LimitException.class,
                () -> Gzip.decode(bomb, 4 << 20, this::reserve, n -> held.addAndGet(-n)));
        assertFalse(e.overloaded());
        assertTrue(e.getMessage().contains("larger than 4194304 bytes decompressed (server.limits.maxIndexBytes)"), e::getMessage);
        assertEquals(0, held.get());
    }

    @Test
    void anIndexOfExactlyTheBoundIsAccepted() throws IOException {
        byte[] plain = new byte[1 << 16];
        assertEquals(1 << 16, Gzip.decode(gzip(plain, 1), 1 << 16, this::reserve, held::addAndGet).bytes().length);
    }

    @Test
    void aRefusedReservationIsAnOverloadNotATooLargeIndex() throws IOException {
        Gzip.LimitException e = assertThrows(Gzip.LimitException.class,
                () -> Gzip.decode(gzip(new byte[1000], 1), 1 << 20, n -> false, n -> { }));
        assertTrue(e.overloaded());
    }

    @Test
    void somethingThatIsNotGzipIsAnIoErrorWithNothingLeftReserved() {
        assertThrows(IOException.class, () -> Gzip.decode("apiVersion: v1\n".getBytes(), 1 << 20, this::reserve, n -> held.addAndGet(-n)));
        assertEquals(0, held.get());
    }
}
