package io.chartgate.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class HeapRequestContentTest {

    private static ByteBuf pooled(String text) {
        return PooledByteBufAllocator.DEFAULT.directBuffer().writeBytes(text.getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void aPooledChunkGoesOnAsAHeapCopyAndIsReleased() {
        EmbeddedChannel channel = new EmbeddedChannel(HeapRequestContent.INSTANCE);
        ByteBuf original = pooled("chunk");
        channel.writeInbound(new DefaultHttpContent(original));
        HttpContent out = channel.readInbound();
        assertEquals(0, original.refCnt(), "the pooled buffer went back");
        assertFalse(out.content().isDirect());
        assertEquals("chunk", out.content().toString(StandardCharsets.US_ASCII));
        assertFalse(out instanceof LastHttpContent);
        out.release();
    }

    @Test
    void theLastChunkKeepsItsTrailersAndAFailedChunkStaysFailed() {
        EmbeddedChannel channel = new EmbeddedChannel(HeapRequestContent.INSTANCE);
        DefaultLastHttpContent last = new DefaultLastHttpContent(pooled("end"));
        last.trailingHeaders().add("X-Checksum", "abc");
        channel.writeInbound(last);
        LastHttpContent outLast = channel.readInbound();
        assertEquals("abc", outLast.trailingHeaders().get("X-Checksum"));
        assertTrue(outLast.decoderResult().isSuccess());
        DefaultHttpContent broken = new DefaultHttpContent(pooled("garbage"));
        broken.setDecoderResult(DecoderResult.failure(new IllegalArgumentException("invalid chunk")));
        channel.writeInbound(broken);
        HttpContent outBroken = channel.readInbound();
        assertTrue(outBroken.decoderResult().isFailure(), "a failed chunk must stay failed for Vert.x to refuse it");
        assertSame(LastHttpContent.EMPTY_LAST_CONTENT, pass(channel, LastHttpContent.EMPTY_LAST_CONTENT));
    }

    private static Object pass(EmbeddedChannel channel, Object msg) {
        channel.writeInbound(msg);
        return channel.readInbound();
    }
}
