package io.chartgate.testing;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * A valid gzip file (one member, correct CRC and length) that inflates to a text prefix followed by billions of
 * zeros, at deflate's best ratio (about 1:1000: 2 GiB of zeros is about 2 MB). Made in a fraction of a second: a
 * mebibyte of zeros is compressed once behind a full flush, which resets the compressor, so every further
 * mebibyte compresses to the very same bytes and is appended as they are.
 */
public final class GzipBomb {

    private static final int CHUNK = 1 << 20;

    private GzipBomb() {
    }

    /** {@code prefix} then {@code mebibytesOfZeros} MiB of zero bytes, gzip-encoded. */
    public static byte[] of(byte[] prefix, int mebibytesOfZeros) {
        Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION, true);
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream(mebibytesOfZeros * 1100 + 1024);
            // gzip header: deflate, no flags, no time, unknown OS
            out.writeBytes(new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 0xff});
            out.writeBytes(flushed(deflater, prefix));
            byte[] zeros = new byte[CHUNK];
            byte[] first = flushed(deflater, zeros);
            byte[] chunk = flushed(deflater, zeros);
            if (!Arrays.equals(chunk, flushed(deflater, zeros))) {
                throw new IllegalStateException("this JDK's deflater does not repeat itself after a full flush");
            }
            // only the bytes written count: the probe above is not part of the stream
            out.writeBytes(first);
            for (int i = 1; i < mebibytesOfZeros; i++) {
                out.writeBytes(chunk);
            }
            deflater.finish();
            byte[] buffer = new byte[4096];
            while (!deflater.finished()) {
                out.write(buffer, 0, deflater.deflate(buffer));
            }
            CRC32 crc = new CRC32();
            crc.update(prefix);
            for (int i = 0; i < mebibytesOfZeros; i++) {
                crc.update(zeros);
            }
            long size = prefix.length + (long) mebibytesOfZeros * CHUNK;
            writeLittleEndian(out, crc.getValue());
            writeLittleEndian(out, size); // ISIZE: the length modulo 2^32, as RFC 1952 says
            return out.toByteArray();
        } finally {
            deflater.end();
        }
    }

    private static byte[] flushed(Deflater deflater, byte[] input) {
        deflater.setInput(input);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[64 * 1024];
        int n;
        do {
            n = deflater.deflate(buffer, 0, buffer.length, Deflater.FULL_FLUSH);
            out.write(buffer, 0, n);
        } while (n == buffer.length || !deflater.needsInput());
        return out.toByteArray();
    }

    private static void writeLittleEndian(ByteArrayOutputStream out, long value) {
        for (int i = 0; i < 4; i++) {
            out.write((int) (value >>> (8 * i)) & 0xff);
        }
    }
}
