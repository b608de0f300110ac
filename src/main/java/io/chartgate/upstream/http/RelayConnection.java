package io.chartgate.upstream.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;

/**
 * The last handler of one upstream connection: passes what the connection reads and how it fares to the exchange
 * it serves now. An idle connection (in its loop's pool) expects nothing: bytes the upstream sends then are a
 * protocol error and close it, and its closing takes it out of the pool.
 */
final class RelayConnection extends ChannelInboundHandlerAdapter {

    private final RelayPool pool;
    private final Channel channel;
    private RelayExchange exchange;
    /** When it went back to the pool, for the idle sweep ({@link System#nanoTime()}). */
    long idleSince;

    RelayConnection(RelayPool pool, Channel channel) {
        this.pool = pool;
        this.channel = channel;
    }

    Channel channel() {
        return channel;
    }

    RelayPool pool() {
        return pool;
    }

    /** Serves {@code exchange} from now on (null: none, the connection is idle or closing). */
    void serve(RelayExchange exchange) {
        this.exchange = exchange;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        RelayExchange current = exchange;
        if (current != null) {
            current.upstreamRead(msg);
        } else {
            ReferenceCountUtil.release(msg);
            ctx.close();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        RelayExchange current = exchange;
        if (current != null) {
            current.upstreamReadComplete();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        RelayExchange current = exchange;
        if (current != null && ctx.channel().isWritable()) {
            current.upstreamWritable();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        RelayExchange current = exchange;
        exchange = null;
        if (current != null) {
            current.upstreamClosed(null);
        } else {
            pool.forget(this);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        RelayExchange current = exchange;
        exchange = null;
        if (current != null) {
            current.upstreamClosed(cause);
        }
        ctx.close();
    }
}
