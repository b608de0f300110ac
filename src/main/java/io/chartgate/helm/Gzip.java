package io.chartgate.helm;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.function.LongConsumer;
import java.util.function.LongPredicate;
import java.util.zip.GZIPInputStream;

/**
 * Decodes a gzip-encoded index without trusting its size: output is inflated only up to {@code maxBytes}, and
 * every block is reserved before it is kept, so a small bomb (2 GB of zeros is a few MB compressed) stops at the
 * bound instead of filling the heap.
 */
public final class Gzip {

    /** An index the step will not hold: larger than its bound, or more than the step's memory has room for. */
    public static final class LimitException extends IOException {
        private final boolean overloaded;

        LimitException(String message, boolean overloaded) {
            super(message);
            this.overloaded = overloaded;
        }

        /** True when the step's memory was full, false when the index itself is too large. */
        public boolean overloaded() {
            return overloaded;
        }
    }

    /** Decoded bytes and how many bytes were reserved for them (the caller releases them when done). */
    public record Decoded(byte[] bytes, long reserved) {
    }

    private static final int BLOCK = 64 * 1024;

    private Gzip() {
    }

    /**
     * The decoded bytes of {@code gzip}. On any failure what was reserved is released before it is thrown.
     *
     * @throws LimitException past {@code maxBytes}, or when {@code reserve} refuses
     * @throws IOException when it is not gzip
     */
    public static Decoded decode(byte[] gzip, long maxBytes, LongPredicate reserve, LongConsumer release) throws IOException {
        byte[] out = new byte[0];
        long reserved = 0;
        int length = 0;
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gzip), BLOCK)) {
            while (true) {
                if (length == out.length) {
                    if (length >= maxBytes) {
                        if (in.read() < 0) {
                            break;
                        }
                        throw new LimitException("the upstream's index file is larger than " + maxBytes
                                + " bytes decompressed (server.limits.maxIndexBytes)", false);
                    }
                    int grown = (int) Math.min(maxBytes, Math.max(BLOCK, out.length * 2L));
                    if (!reserve.test(grown - out.length)) {
                        throw new LimitException("no room for a decoded index", true);
                    }
                    reserved += grown - out.length;
                    out = Arrays.copyOf(out, grown);
                }
                int n = in.read(out, length, out.length - length);
                if (n < 0) {
                    break;
                }
                length += n;
            }
        } catch (IOException | RuntimeException e) {
            release.accept(reserved);
            throw e;
        }
        return new Decoded(length == out.length ? out : Arrays.copyOf(out, length), reserved);
    }
}
