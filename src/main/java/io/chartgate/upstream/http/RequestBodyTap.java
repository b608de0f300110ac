package io.chartgate.upstream.http;

import io.chartgate.upstream.UpstreamException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AttributeKey;
import java.util.ArrayDeque;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * The body of an upload the relay forwards, taken on its way from the server's HTTP decoder to Vert.x: each chunk goes
 * to the upstream connection in the pooled buffer it was decoded into, and Vert.x sees only the request's end. Through
 * Vert.x, every chunk was copied to the heap, dispatched to the request stream, and copied again into direct memory
 * for the upstream socket: half the CPU of a relayed upload (load-tests row e, JFR).
 *
 * <p>A request's body is taken only when the relay claims it while the request's head is being dispatched
 * ({@link #dispatching}): then no chunk of it has reached Vert.x, whose queue would otherwise hold chunks the tap
 * must not overtake. A request dispatched later (behind a pipelined one, after a CRL fetch) goes through Vert.x.
 * Until the upstream connection is made, chunks are held (past {@value #MAX_HELD} bytes the client is not read; what
 * its current read brings still arrives); after it, they are written as they come, and the client is not read while the upstream connection is not
 * writable. Whatever the tap holds is released when the exchange gives the body up or the client goes away.
 * Everything runs on the client connection's event loop, which is also the upstream connection's.
 */
public final class RequestBodyTap {

    /** What {@link #offer} did with a chunk. */
    public enum Taken {
        /** Not a tapped body's: Vert.x gets it. */
        NO,
        /** Taken. */
        YES,
        /** Taken, and it ended the body: Vert.x is to see the request end, with no content. */
        END
    }

    /** Bytes held while the upstream connection is being made; past them the client is not read. */
    static final int MAX_HELD = 64 * 1024;

    private static final AttributeKey<RequestBodyTap> KEY = AttributeKey.valueOf("chartgate.requestBodyTap");

    private final Channel client;
    private boolean dispatching;
    /** A body is being taken (held, written or dropped), until it is written whole or given up. */
    private boolean active;
    /**
     * Its chunks are still coming: from the claim to its last chunk. What arrives after that belongs to the next
     * request (pipelined behind this one while its body waits for the upstream connection) and is never taken.
     */
    private boolean receiving;
    private boolean discarding;
    private Channel upstream;
    private final ArrayDeque<ByteBuf> held = new ArrayDeque<>();
    private int heldBytes;
    private boolean heldEnd;
    private boolean paused;
    private long total;
    private long limit;
    private LongConsumer counter;
    private Runnable ended;
    private Consumer<UpstreamException> tooLarge;

    private RequestBodyTap(Channel client) {
        this.client = client;
    }

    // ---- the server's side (server/HeapRequestContent), on the client connection's loop

    /** Marks that {@code client}'s next request head is being handed to Vert.x now ({@code true}), or is no more. */
    public static void dispatching(Channel client, boolean now) {
        RequestBodyTap tap = client.attr(KEY).get();
        if (tap == null) {
            if (!now) {
                return;
            }
            tap = new RequestBodyTap(client);
            client.attr(KEY).set(tap);
        }
        tap.dispatching = now;
    }

    /** Takes {@code content} when it belongs to a tapped body; the caller then no longer owns it. */
    public static Taken offer(Channel client, HttpContent content) {
        RequestBodyTap tap = client.attr(KEY).get();
        return tap == null || !tap.receiving ? Taken.NO : tap.take(content);
    }

    /** The client went away: whatever is held is released and the body given up. */
    public static void closed(Channel client) {
        RequestBodyTap tap = client.attr(KEY).get();
        if (tap != null && tap.active) {
            tap.drop();
            tap.active = false;
            tap.receiving = false;
        }
    }

    // ---- the relay's side (RelayExchange), on the same loop

    /**
     * Takes the body of the request whose head {@code client} is dispatching now; null when it is not dispatching one
     * (the body then comes through Vert.x). Until {@link #start}, chunks are held.
     *
     * @param counter told of every body byte taken
     * @param ended called once the body ended and was written upstream (after {@link #start})
     * @param tooLarge called once, instead, when the body crosses {@code limit}
     */
    static RequestBodyTap claim(Channel client, long limit, LongConsumer counter, Runnable ended,
            Consumer<UpstreamException> tooLarge) {
        RequestBodyTap tap = client.attr(KEY).get();
        if (tap == null || !tap.dispatching || tap.active) {
            return null;
        }
        tap.active = true;
        tap.receiving = true;
        tap.discarding = false;
        tap.upstream = null;
        tap.heldEnd = false;
        tap.total = 0;
        tap.limit = limit;
        tap.counter = counter;
        tap.ended = ended;
        tap.tooLarge = tooLarge;
        return tap;
    }

    /** Writes what is held to {@code upstream} (after the request head), then each chunk as it comes. */
    void start(Channel upstream) {
        if (!active || discarding) {
            return;
        }
        this.upstream = upstream;
        ByteBuf data;
        while ((data = held.pollFirst()) != null) {
            upstream.write(new DefaultHttpContent(data), upstream.voidPromise());
        }
        heldBytes = 0;
        upstream.flush();
        if (heldEnd) {
            finish();
        } else if (upstream.isWritable()) {
            resume();
        } else {
            pause();
        }
    }

    /** The upstream connection can take more: the client is read again. */
    void upstreamWritable() {
        if (active && !discarding && upstream != null) {
            resume();
        }
    }

    /**
     * The exchange no longer wants the body (it failed, the upstream answered early, the client went away): what is
     * held is released, the rest is read and dropped, and Vert.x still sees the request end.
     */
    void discard() {
        if (!active || discarding) {
            return;
        }
        drop();
        discarding = true;
        if (heldEnd) {
            active = false;
        }
        resume();
    }

    private Taken take(HttpContent content) {
        boolean last = content instanceof LastHttpContent;
        if (content.decoderResult().isFailure()) {
            // not body: Vert.x answers the malformed chunk; what was taken is given up
            drop();
            active = false;
            receiving = false;
            resume();
            return Taken.NO;
        }
        ByteBuf data = content.content();
        int length = data.readableBytes();
        if (discarding) {
            content.release();
            return end(last);
        }
        total += length;
        counter.accept(length);
        if (total > limit) {
            content.release();
            drop();
            discarding = true;
            tooLarge.accept(UpstreamException.bodyTooLarge(limit));
            return end(last);
        }
        if (upstream == null) {
            if (length > 0) {
                held.addLast(data);
                heldBytes += length;
                if (heldBytes > MAX_HELD) {
                    pause();
                }
            } else {
                content.release();
            }
            if (last) {
                heldEnd = true;
                receiving = false;
                return Taken.END; // still active: the held body goes out on start
            }
            return Taken.YES;
        }
        if (length > 0) {
            upstream.writeAndFlush(new DefaultHttpContent(data), upstream.voidPromise());
        } else {
            content.release();
        }
        if (last) {
            finish();
            return Taken.END;
        }
        if (!upstream.isWritable()) {
            pause();
        }
        return Taken.YES;
    }

    private Taken end(boolean last) {
        if (last) {
            active = false;
            receiving = false;
            resume();
            return Taken.END;
        }
        return Taken.YES;
    }

    /** The whole body is written upstream: the exchange ends the request there. */
    private void finish() {
        active = false;
        receiving = false;
        resume();
        ended.run();
    }

    private void drop() {
        ByteBuf data;
        while ((data = held.pollFirst()) != null) {
            data.release();
        }
        heldBytes = 0;
    }

    private void pause() {
        if (!paused) {
            paused = true;
            client.config().setAutoRead(false);
        }
    }

    private void resume() {
        if (paused) {
            paused = false;
            client.config().setAutoRead(true);
        }
    }
}
