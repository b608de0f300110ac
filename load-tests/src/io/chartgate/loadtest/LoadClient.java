package io.chartgate.loadtest;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.HdrHistogram.Histogram;

/**
 * A closed-loop HTTP/1.1 load generator on one Netty event loop: each of N connections sends its next
 * request as soon as the previous answer has been read in full, over keep-alive or (for the handshake
 * scenario) over a new TLS connection each time. Requests are encoded once and written as bytes; answers are
 * decoded by Netty's {@link HttpResponseDecoder} and checked (status and, when known, length). Latency goes to
 * an HdrHistogram in microseconds; for a new connection per request it runs from connect to the last byte.
 *
 * <p>The client never resumes a TLS session: engines are made without a peer host and port, so Netty's client
 * session cache is never consulted, and every connection is a full handshake.
 */
final class LoadClient implements AutoCloseable {

    /**
     * What to send and how. {@code tls} null means plain HTTP; {@code expectedBytes} -1 means any length;
     * {@code contentType} is the body's (a chart, {@code application/gzip}, unless said otherwise).
     */
    record Load(String host, int port, SslContext tls, String method, String path, byte[] body, int connections,
                boolean handshakeEachRequest, long expectedBytes, boolean slowReader, String contentType) {

        Load(String host, int port, SslContext tls, String method, String path, byte[] body, int connections,
             boolean handshakeEachRequest, long expectedBytes, boolean slowReader) {
            this(host, port, tls, method, path, body, connections, handshakeEachRequest, expectedBytes, slowReader,
                    "application/gzip");
        }

        Load(String host, int port, SslContext tls, String method, String path, byte[] body, int connections,
             boolean handshakeEachRequest, long expectedBytes) {
            this(host, port, tls, method, path, body, connections, handshakeEachRequest, expectedBytes, false);
        }
    }

    /** A slow reader reads at most this much per tick (and per connection)... */
    static final int SLOW_READ_BYTES = 16 * 1024;
    /** ...every this many milliseconds: about 1.6 MB/s per connection. */
    static final int SLOW_TICK_MILLIS = 10;

    /** What one measured run gave. Errors count the whole run, warm-up included. */
    record Result(long requests, long bytes, long errors, String firstError, double seconds, Histogram latencyMicros,
                  double generatorCpu, double serverCpu) {

        double perSecond() {
            return requests / seconds;
        }
    }

    private final EventLoopGroup group;
    private final Class<? extends Channel> channelType;
    private final boolean epoll;

    LoadClient() {
        epoll = Epoll.isAvailable();
        group = new MultiThreadIoEventLoopGroup(1, epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        channelType = epoll ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    private volatile Run current;

    /** Body bytes the current (or last) run has read so far, finished answers or not. */
    long streamed() {
        Run run = current;
        return run == null ? 0 : run.streamed;
    }

    String transport() {
        return epoll ? "epoll" : "nio";
    }

    /**
     * Runs {@code load} for {@code warmup} unmeasured, then {@code measure} measured; {@code serverCpu} (CPU
     * nanoseconds of the server under test) is read as the measured part starts and ends.
     */
    Result run(Load load, Duration warmup, Duration measure, LongSupplier serverCpu) throws InterruptedException {
        Run run = new Run(load, group.next(), serverCpu);
        current = run;
        run.loop.execute(run::start);
        run.loop.schedule(run::beginMeasuring, warmup.toMillis(), TimeUnit.MILLISECONDS);
        run.loop.schedule(run::stop, warmup.plus(measure).toMillis(), TimeUnit.MILLISECONDS);
        if (!run.done.await(warmup.plus(measure).toSeconds() + 30, TimeUnit.SECONDS)) {
            run.loop.execute(run::abort);
            run.done.await(10, TimeUnit.SECONDS);
        }
        // the buffers are unreleasable so that writes of their duplicates cannot free them; free them here
        run.requestHead.unwrap().release();
        run.requestBody.unwrap().release();
        return new Result(run.requests, run.bytes, run.errors, run.firstError,
                (run.measureEnd - run.measureStart) / 1e9, run.latency,
                (run.cpuEnd - run.cpuStart) / (double) (run.measureEnd - run.measureStart),
                (run.serverCpuEnd - run.serverCpuStart) / (double) (run.measureEnd - run.measureStart));
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /** One run's state; touched only on its event loop. */
    private final class Run {
        final Load load;
        final EventLoop loop;
        final ByteBuf requestHead;
        final ByteBuf requestBody;
        final Histogram latency = new Histogram(TimeUnit.MINUTES.toMicros(1), 3);
        final CountDownLatch done = new CountDownLatch(1);
        final List<Connection> connections = new ArrayList<>();
        boolean measuring;
        boolean stopping;
        long requests;
        long bytes;
        /** Body bytes read so far, measured or not, finished or not (read by the memory run's sampler). */
        volatile long streamed;
        java.util.concurrent.ScheduledFuture<?> slowReads;
        long errors;
        String firstError;
        long measureStart;
        long measureEnd;
        long cpuStart;
        long cpuEnd;
        final LongSupplier serverCpu;
        long serverCpuStart;
        long serverCpuEnd;
        int open;

        Run(Load load, EventLoop loop, LongSupplier serverCpu) {
            this.load = load;
            this.loop = loop;
            this.serverCpu = serverCpu;
            byte[] body = load.body() == null ? new byte[0] : load.body();
            String head = load.method() + " " + load.path() + " HTTP/1.1\r\n"
                    + "host: " + load.host() + ":" + load.port() + "\r\n"
                    + "user-agent: chartgate-load\r\n"
                    + (load.body() != null ? "content-type: " + load.contentType() + "\r\ncontent-length: " + body.length + "\r\n" : "")
                    + (load.handshakeEachRequest() ? "connection: close\r\n" : "")
                    + "\r\n";
            requestHead = Unpooled.unreleasableBuffer(Unpooled.directBuffer().writeBytes(head.getBytes(StandardCharsets.US_ASCII)));
            requestBody = Unpooled.unreleasableBuffer(Unpooled.directBuffer(body.length).writeBytes(body));
        }

        void start() {
            if (load.slowReader()) {
                slowReads = loop.scheduleAtFixedRate(() -> {
                    for (Connection connection : connections) {
                        Channel ch = connection.channel;
                        if (ch != null && ch.isActive()) {
                            ch.read();
                        }
                    }
                }, SLOW_TICK_MILLIS, SLOW_TICK_MILLIS, TimeUnit.MILLISECONDS);
            }
            for (int i = 0; i < load.connections(); i++) {
                Connection connection = new Connection(this);
                connections.add(connection);
                open++;
                connection.next();
            }
        }

        void beginMeasuring() {
            measuring = true;
            requests = 0;
            bytes = 0;
            latency.reset();
            measureStart = System.nanoTime();
            cpuStart = processCpuNanos();
            serverCpuStart = serverCpu.getAsLong();
        }

        void stop() {
            measureEnd = System.nanoTime();
            cpuEnd = processCpuNanos();
            serverCpuEnd = serverCpu.getAsLong();
            measuring = false;
            stopping = true;
            for (Connection connection : List.copyOf(connections)) {
                // a slow reader's download is cut off when the time is up, not awaited
                if (!connection.inFlight || load.slowReader()) {
                    connection.finish();
                }
            }
        }

        void abort() {
            error("requests still in flight 30 s after the run ended");
            for (Connection connection : List.copyOf(connections)) {
                connection.finish();
            }
        }

        void finished(Connection connection) {
            if (connections.remove(connection) && --open == 0) {
                if (slowReads != null) {
                    slowReads.cancel(false);
                }
                done.countDown();
            }
        }

        void error(String message) {
            errors++;
            if (firstError == null) {
                firstError = message;
            }
        }
    }

    /** One connection slot: connects when it has no open connection, then sends one request at a time. */
    private final class Connection extends SimpleChannelInboundHandler<HttpObject> {
        final Run run;
        Channel channel;
        boolean inFlight;
        long started;
        int status;
        long received;
        boolean keepAlive;
        boolean finished;

        Connection(Run run) {
            super(false);
            this.run = run;
        }

        void next() {
            if (run.stopping) {
                finish();
            } else if (channel == null || !channel.isActive() || run.load.handshakeEachRequest()) {
                connect();
            } else {
                send();
            }
        }

        void connect() {
            started = System.nanoTime();
            inFlight = true;
            Load load = run.load;
            new Bootstrap().group(run.loop).channel(channelType)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.AUTO_READ, !load.slowReader())
                    .option(ChannelOption.RECVBUF_ALLOCATOR, load.slowReader()
                            ? new FixedRecvByteBufAllocator(SLOW_READ_BYTES) : new AdaptiveRecvByteBufAllocator())
                    .handler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            if (load.tls() != null) {
                                ch.pipeline().addLast(load.tls().newHandler(ch.alloc()));
                            }
                            ch.pipeline().addLast(new HttpResponseDecoder(), Connection.this);
                        }
                    })
                    .connect(load.host(), load.port()).addListener(connected -> {
                        if (!connected.isSuccess()) {
                            failed("connect: " + connected.cause());
                            return;
                        }
                        Channel ch = ((io.netty.channel.ChannelFuture) connected).channel();
                        channel = ch;
                        SslHandler tls = ch.pipeline().get(SslHandler.class);
                        if (tls == null) {
                            write();
                        } else {
                            tls.handshakeFuture().addListener(handshake -> {
                                if (handshake.isSuccess()) {
                                    write();
                                } else {
                                    failed("TLS handshake: " + handshake.cause());
                                }
                            });
                        }
                    });
        }

        void send() {
            started = System.nanoTime();
            inFlight = true;
            write();
        }

        void write() {
            status = 0;
            received = 0;
            if (run.requestBody.isReadable()) {
                channel.write(run.requestHead.duplicate());
                channel.writeAndFlush(run.requestBody.duplicate());
            } else {
                channel.writeAndFlush(run.requestHead.duplicate());
            }
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
            try {
                if (msg instanceof HttpResponse response) {
                    status = response.status().code();
                    keepAlive = HttpUtil.isKeepAlive(response);
                    if (response.decoderResult().isFailure()) {
                        failed("bad response: " + response.decoderResult().cause());
                        return;
                    }
                }
                if (msg instanceof HttpContent content) {
                    received += content.content().readableBytes();
                    run.streamed += content.content().readableBytes();
                    if (msg instanceof LastHttpContent) {
                        completed();
                    }
                }
            } finally {
                io.netty.util.ReferenceCountUtil.release(msg);
            }
        }

        void completed() {
            inFlight = false;
            long micros = (System.nanoTime() - started) / 1000;
            long expected = run.load.expectedBytes();
            if (status / 100 != 2) {
                run.error("HTTP " + status + " for " + run.load.method() + " " + run.load.path());
            } else if (expected >= 0 && received != expected) {
                run.error("read " + received + " bytes, expected " + expected);
            } else if (run.measuring) {
                run.requests++;
                run.bytes += received + run.requestBody.readableBytes();
                run.latency.recordValue(Math.min(micros, run.latency.getHighestTrackableValue()));
            }
            if (!keepAlive || run.load.handshakeEachRequest()) {
                Channel ch = channel;
                channel = null;
                ch.close().addListener(closed -> next());
            } else {
                next();
            }
        }

        void failed(String message) {
            run.error(message);
            inFlight = false;
            Channel ch = channel;
            channel = null;
            if (ch != null) {
                ch.close();
            }
            // back off a little so a refusing server does not turn the run into a connect loop
            run.loop.schedule(this::next, 50, TimeUnit.MILLISECONDS);
        }

        void finish() {
            if (finished) {
                return;
            }
            finished = true;
            inFlight = false;
            if (channel != null) {
                channel.close();
                channel = null;
            }
            run.finished(this);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (inFlight && ctx.channel() == channel) {
                failed("connection closed before the whole answer (" + received + " bytes read)");
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (ctx.channel() == channel && inFlight) {
                failed(cause.toString());
            } else {
                ctx.close();
            }
        }

        @Override
        public boolean isSharable() {
            return true;
        }
    }
}
