package io.chartgate.server;

import io.chartgate.upstream.http.RequestBodyTap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * Hands Vert.x a request body chunk as a heap copy, the original's pooled buffer released at once.
 *
 * <p>Vert.x copies every chunk to the heap itself ({@code VertxHandler.safeBuffer}), but only when it handles it:
 * a chunk that arrives while the connection is paused (an upload held back by a slow upstream, a body behind a
 * refused request) waits in the connection's queue as it was read, pooled, and Vert.x 5.0.7 drops that queue
 * unreleased when the connection closes. Each client that broke off such an upload leaked up to eight reads of
 * pooled direct memory (Netty's paranoid leak detection found it: {@code testing/NettyLeaks}). A heap copy made
 * here is the same one copy, and a queued one is only garbage when its connection goes; Vert.x passes heap
 * buffers on as they are.
 *
 * <p>The body of an upload the relay forwards to a plain http upstream does not reach Vert.x at all: the relay takes
 * it here, chunk by chunk in its pooled buffers, when it claims it while the request's head is being dispatched
 * ({@code upstream/http/RequestBodyTap}); Vert.x then sees only the request's end.
 */
@ChannelHandler.Sharable
final class HeapRequestContent extends ChannelInboundHandlerAdapter {

    static final HeapRequestContent INSTANCE = new HeapRequestContent();

    /** Vert.x's own handler in the pipeline: the copy is made just before it. */
    private static final String VERTX_HANDLER = "handler";
    private static final String NAME = "chartgateHeapContent";

    private HeapRequestContent() {
    }

    /** Puts the copy in front of Vert.x's handler, once per connection. */
    static void install(ChannelPipeline pipeline) {
        if (pipeline.get(NAME) == null && pipeline.get(VERTX_HANDLER) != null) {
            pipeline.addBefore(VERTX_HANDLER, NAME, INSTANCE);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest) {
            // the relay may take this request's body while Vert.x dispatches its head (RequestBodyTap)
            RequestBodyTap.dispatching(ctx.channel(), true);
            try {
                ctx.fireChannelRead(msg);
            } finally {
                RequestBodyTap.dispatching(ctx.channel(), false);
            }
            return;
        }
        if (msg instanceof HttpContent tapped) {
            switch (RequestBodyTap.offer(ctx.channel(), tapped)) {
                case YES -> {
                    return;
                }
                case END -> {
                    ctx.fireChannelRead(LastHttpContent.EMPTY_LAST_CONTENT);
                    return;
                }
                case NO -> {
                    // Vert.x's, below
                }
            }
        }
        if (msg instanceof HttpContent content && msg != LastHttpContent.EMPTY_LAST_CONTENT && pooled(content.content())) {
            ByteBuf pooled = content.content();
            byte[] bytes = new byte[pooled.readableBytes()];
            pooled.getBytes(pooled.readerIndex(), bytes);
            // replace keeps the kind (last or not) and the trailers, not the decoder's result: a failed chunk must
            // stay failed, or Vert.x would take it for body
            HttpContent copy = content.replace(bytes.length == 0 ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(bytes));
            copy.setDecoderResult(content.decoderResult());
            content.release();
            ctx.fireChannelRead(copy);
            return;
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        RequestBodyTap.closed(ctx.channel());
        ctx.fireChannelInactive();
    }

    /** Memory a pool or the direct arena lends, which must go back; a plain heap buffer is the collector's. */
    private static boolean pooled(ByteBuf buffer) {
        return buffer != Unpooled.EMPTY_BUFFER && (buffer.isDirect() || !(buffer.alloc() instanceof UnpooledByteBufAllocator));
    }
}
