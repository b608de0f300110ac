package io.chartgate.upstream.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chartgate.upstream.UpstreamException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * {@link RequestBodyTap} between two embedded channels standing in for the client's and the upstream's connections:
 * which bodies it takes, their order and buffers, the bounds, and that everything it holds is released. Netty's
 * paranoid leak detection runs over the class (testing/NettyLeaks).
 */
class RequestBodyTapTest {

    private final EmbeddedChannel client = new EmbeddedChannel();
    private final EmbeddedChannel upstream = new EmbeddedChannel();
    private final AtomicLong counted = new AtomicLong();
    private final AtomicInteger ended = new AtomicInteger();
    private final List<UpstreamException> tooLarge = new ArrayList<>();

    private static ByteBuf pooled(int length) {
        return PooledByteBufAllocator.DEFAULT.directBuffer(length).writeZero(length);
    }

    private RequestBodyTap claimWhileDispatching(long limit) {
        RequestBodyTap.dispatching(client, true);
        try {
            return RequestBodyTap.claim(client, limit, counted::addAndGet, ended::incrementAndGet, tooLarge::add);
        } finally {
            RequestBodyTap.dispatching(client, false);
        }
    }

    @Test
    void aBodyClaimedWhileItsHeadIsDispatchedIsHeldThenWrittenUpstreamInOrderInItsOwnBuffers() {
        RequestBodyTap tap = claimWhileDispatching(1 << 20);
        assertNotNull(tap);
        ByteBuf first = pooled(100);
        ByteBuf second = pooled(200);
        assertEquals(RequestBodyTap.Taken.YES, RequestBodyTap.offer(client, new DefaultHttpContent(first)));
        assertEquals(RequestBodyTap.Taken.YES, RequestBodyTap.offer(client, new DefaultHttpContent(second)));
        assertNull(upstream.readOutbound(), "nothing goes out before the upstream connection is there");

        tap.start(upstream);
        assertSame(first, written().content());
        assertSame(second, written().content());
        ByteBuf third = pooled(50);
        assertEquals(RequestBodyTap.Taken.YES, RequestBodyTap.offer(client, new DefaultHttpContent(third)));
        assertSame(third, written().content(), "after start, written as it comes");
        assertEquals(0, ended.get());
        assertEquals(RequestBodyTap.Taken.END, RequestBodyTap.offer(client, new DefaultLastHttpContent(pooled(25))));
        assertEquals(25, written().content().readableBytes());
        assertEquals(1, ended.get(), "the exchange is told the body ended, once");
        assertEquals(375, counted.get());
        releaseOutbound();

        ByteBuf next = pooled(10);
        assertEquals(RequestBodyTap.Taken.NO, RequestBodyTap.offer(client, new DefaultHttpContent(next)),
                "the next request's body is not taken unless it is claimed");
        next.release();
    }

    @Test
    void aBodyThatEndsBeforeTheUpstreamConnectionIsThereEndsForVertxAndGoesOutWholeOnStart() {
        RequestBodyTap tap = claimWhileDispatching(1 << 20);
        assertEquals(RequestBodyTap.Taken.YES, RequestBodyTap.offer(client, new DefaultHttpContent(pooled(10))));
        assertEquals(RequestBodyTap.Taken.END, RequestBodyTap.offer(client, LastHttpContent.EMPTY_LAST_CONTENT));
        assertEquals(0, ended.get());

        tap.start(upstream);
        assertEquals(10, written().content().readableBytes());
        assertEquals(1, ended.get());
        releaseOutbound();
    }

    /**
     * A request pipelined behind a whole body that still waits for its upstream connection: its chunks are Vert.x's
     * (they are the next request's body), never appended to the body that waits.
     */
    @Test
    void whatArrivesAfterABodyEndedIsNotTakenWhileThatBodyWaitsForItsUpstream() {
        RequestBodyTap tap = claimWhileDispatching(1 << 20);
        RequestBodyTap.offer(client, new DefaultHttpContent(pooled(10)));
        assertEquals(RequestBodyTap.Taken.END, RequestBodyTap.offer(client, LastHttpContent.EMPTY_LAST_CONTENT));
        ByteBuf next = pooled(20);
        assertEquals(RequestBodyTap.Taken.NO, RequestBodyTap.offer(client, new DefaultHttpContent(next)));
        next.release();

        tap.start(upstream);
        assertEquals(10, written().content().readableBytes());
        assertNull(upstream.readOutbound(), "only the body's own bytes went upstream");
        assertEquals(1, ended.get());
    }

    @Test
    void aRequestNotBeingDispatchedIsNotClaimed() {
        assertNull(RequestBodyTap.claim(client, 1 << 20, counted::addAndGet, ended::incrementAndGet, tooLarge::add));
        RequestBodyTap.dispatching(client, true);
        RequestBodyTap.dispatching(client, false);
        assertNull(RequestBodyTap.claim(client, 1 << 20, counted::addAndGet, ended::incrementAndGet, tooLarge::add),
                "a request dispatched later (behind another, after a CRL fetch) may have body queued in Vert.x");
        ByteBuf chunk = pooled(10);
        assertEquals(RequestBodyTap.Taken.NO, RequestBodyTap.offer(client, new DefaultHttpContent(chunk)));
        chunk.release();
    }

    @Test
    void holdingMoreThanTheBoundStopsReadingTheClientUntilTheUpstreamTakesIt() {
        RequestBodyTap tap = claimWhileDispatching(1 << 20);
        RequestBodyTap.offer(client, new DefaultHttpContent(pooled(RequestBodyTap.MAX_HELD)));
        assertTrue(client.config().isAutoRead());
        RequestBodyTap.offer(client, new DefaultHttpContent(pooled(1)));
        assertFalse(client.config().isAutoRead(), "past the bound the client is not read");

        tap.start(upstream);
        assertTrue(client.config().isAutoRead(), "read again once the upstream took what was held");
        tap.discard();
        releaseOutbound();
    }

    @Test
    void aBodyOverTheLimitIsRefusedOnceWhatWasHeldIsReleasedAndTheRestIsDroppedToItsEnd() {
        claimWhileDispatching(150);
        ByteBuf held = pooled(100);
        RequestBodyTap.offer(client, new DefaultHttpContent(held));
        ByteBuf over = pooled(100);
        assertEquals(RequestBodyTap.Taken.YES, RequestBodyTap.offer(client, new DefaultHttpContent(over)));
        assertEquals(1, tooLarge.size());
        assertEquals(UpstreamException.Kind.TOO_LARGE, tooLarge.get(0).kind());
        assertEquals(0, held.refCnt());
        assertEquals(0, over.refCnt());
        ByteBuf rest = pooled(100);
        assertEquals(RequestBodyTap.Taken.YES, RequestBodyTap.offer(client, new DefaultHttpContent(rest)));
        assertEquals(0, rest.refCnt());
        assertEquals(RequestBodyTap.Taken.END, RequestBodyTap.offer(client, LastHttpContent.EMPTY_LAST_CONTENT),
                "Vert.x still sees the request end, so a lingering close can finish");
        assertEquals(1, tooLarge.size());
        assertEquals(0, ended.get());
    }

    @Test
    void aBodyTheExchangeGivesUpIsReleasedAndReadToItsEnd() {
        RequestBodyTap tap = claimWhileDispatching(1 << 20);
        ByteBuf held = pooled(RequestBodyTap.MAX_HELD + 1);
        RequestBodyTap.offer(client, new DefaultHttpContent(held));
        assertFalse(client.config().isAutoRead());

        tap.discard();
        assertEquals(0, held.refCnt());
        assertTrue(client.config().isAutoRead(), "the rest is read, to be dropped");
        ByteBuf rest = pooled(10);
        assertEquals(RequestBodyTap.Taken.YES, RequestBodyTap.offer(client, new DefaultHttpContent(rest)));
        assertEquals(0, rest.refCnt());
        assertEquals(RequestBodyTap.Taken.END, RequestBodyTap.offer(client, LastHttpContent.EMPTY_LAST_CONTENT));
        tap.start(upstream);
        assertNull(upstream.readOutbound(), "a given-up body never goes out");
    }

    @Test
    void aClientThatGoesAwayHasWhatWasHeldReleased() {
        claimWhileDispatching(1 << 20);
        ByteBuf held = pooled(10);
        RequestBodyTap.offer(client, new DefaultHttpContent(held));

        RequestBodyTap.closed(client);
        assertEquals(0, held.refCnt());
        ByteBuf late = pooled(10);
        assertEquals(RequestBodyTap.Taken.NO, RequestBodyTap.offer(client, new DefaultHttpContent(late)));
        late.release();
    }

    @Test
    void aChunkTheDecoderFailedGoesToVertxAndTheBodyIsGivenUp() {
        claimWhileDispatching(1 << 20);
        ByteBuf held = pooled(10);
        RequestBodyTap.offer(client, new DefaultHttpContent(held));
        DefaultHttpContent broken = new DefaultHttpContent(pooled(5));
        broken.setDecoderResult(DecoderResult.failure(new IllegalArgumentException("invalid chunk")));

        assertEquals(RequestBodyTap.Taken.NO, RequestBodyTap.offer(client, broken));
        assertEquals(0, held.refCnt());
        broken.release();
    }

    /** The next chunk written upstream; released at once (its buffer is only compared, never read after). */
    private HttpContent written() {
        HttpContent content = upstream.readOutbound();
        assertNotNull(content, "nothing was written upstream");
        content.release();
        return content;
    }

    private void releaseOutbound() {
        Object out;
        while ((out = upstream.readOutbound()) != null) {
            io.netty.util.ReferenceCountUtil.release(out);
        }
    }
}
