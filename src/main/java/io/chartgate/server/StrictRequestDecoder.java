package io.chartgate.server;

import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpVersion;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * Vert.x's HTTP/1.x request decoder, made strict where Netty is lenient: a request with both
 * {@code Content-Length} and {@code Transfer-Encoding: chunked} (Netty would drop the length and carry on) and
 * a request line with any version but HTTP/1.0 or 1.1 (Vert.x would answer a bare 501) are marked as failed,
 * so the invalid-request handler answers them with the gateway's JSON 400 and closes the connection.
 *
 * <p>It replaces the decoder when a connection opens. That reaches into Vert.x internals
 * ({@code ConnectionBase#channel()}, the pipeline name {@code httpDecoder}); RawRequestIT fails if a Vert.x
 * upgrade changes them.
 */
final class StrictRequestDecoder extends VertxHttpRequestDecoder {

    private static final String DECODER = "httpDecoder";

    StrictRequestDecoder(HttpServerOptions options) {
        super(options);
    }

    /**
     * Swaps in the strict decoder on a new HTTP/1.x connection, before its first request is read, and puts
     * {@link HeapRequestContent} in front of Vert.x's handler.
     */
    static void install(HttpConnection connection, HttpServerOptions options) {
        if (connection instanceof ConnectionBase base) {
            ChannelPipeline pipeline = base.channel().pipeline();
            if (pipeline.get(DECODER) instanceof VertxHttpRequestDecoder current && !(current instanceof StrictRequestDecoder)) {
                pipeline.replace(DECODER, DECODER, new StrictRequestDecoder(options));
            }
            HeapRequestContent.install(pipeline);
        }
    }

    /**
     * Called once a request's headers are parsed, after Netty set their decoder result: the first place a
     * failure set here sticks.
     */
    @Override
    protected boolean isContentAlwaysEmpty(HttpMessage message) {
        HttpVersion version = message.protocolVersion();
        if (version != HttpVersion.HTTP_1_1 && version != HttpVersion.HTTP_1_0 && message.decoderResult().isSuccess()) {
            message.setDecoderResult(DecoderResult.failure(new IllegalArgumentException("unsupported HTTP version")));
            // the error is answered in a version the client can read
            message.setProtocolVersion(HttpVersion.HTTP_1_1);
        }
        return super.isContentAlwaysEmpty(message);
    }

    @Override
    protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
        super.handleTransferEncodingChunkedWithContentLength(message);
        message.setDecoderResult(DecoderResult.failure(
                new IllegalArgumentException("both Content-Length and Transfer-Encoding (a request smuggling pattern)")));
    }
}
