package io.chartgate.upstream.http;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.internal.VertxInternal;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * Keep-alive connections to one plain-HTTP upstream, kept per event loop: a connection is made on the loop of the
 * client request it serves, goes back to that loop's pool only after a complete exchange, and is never handed to
 * another loop, so no request hops threads. Idle connections are closed after {@link #IDLE_MILLIS}; the upstream
 * closing one is noticed and it is dropped. Everything about one loop's pool runs on that loop.
 *
 * <p>At most {@code maxConnections} are open (or being made) at once over all loops, as Vert.x's client pool kept
 * them: one upstream address has some 28,000 ephemeral ports, and a fleet's burst must not take them all. A request
 * beyond that waits on its loop for a connection that comes back or closes, for at most {@code connectTimeoutMs},
 * then fails with {@link Exhausted}; meanwhile the other loops each close their least recently used idle connection,
 * so places a finished burst left idle elsewhere are not held for {@link #IDLE_MILLIS}.
 */
final class RelayPool {

    /** How long an idle connection is kept: Vert.x's client default, below nginx's 75 s keepalive_timeout. */
    static final long IDLE_MILLIS = HttpClientOptions.DEFAULT_KEEP_ALIVE_TIMEOUT * 1000L;
    /** Idle connections kept per loop; more are closed when they come back (a burst is over). */
    static final int MAX_IDLE_PER_LOOP = 512;
    /** Bodies are cut at most this large by the codec: a read's bytes come out as one slice, not 8 KiB pieces. */
    private static final int MAX_CHUNK = 1024 * 1024;

    private final VertxInternal vertx;
    private final String host;
    private final int port;
    private final int connectTimeoutMs;
    private final int maxConnections;
    /** Connections open or being made, over all loops. */
    private final AtomicInteger open = new AtomicInteger();
    private final Map<EventLoop, Loop> loops = new ConcurrentHashMap<>();
    private volatile boolean closed;

    RelayPool(VertxInternal vertx, String host, int port, int connectTimeoutMs, int maxConnections) {
        this.vertx = vertx;
        this.host = host;
        this.port = port;
        this.connectTimeoutMs = connectTimeoutMs;
        this.maxConnections = maxConnections;
    }

    /** No connection came free for a request within {@code connectTimeoutMs}: the gateway's own limit, not a fault. */
    static final class Exhausted extends Exception {
        Exhausted(String message) {
            super(message, null, false, false);
        }
    }

    /** A request waiting for a connection while {@code maxConnections} are open; on its loop's queue. */
    private static final class Waiter {
        final BiConsumer<RelayConnection, Boolean> ready;
        final Consumer<Throwable> failed;
        ScheduledFuture<?> timeout;

        Waiter(BiConsumer<RelayConnection, Boolean> ready, Consumer<Throwable> failed) {
            this.ready = ready;
            this.failed = failed;
        }
    }

    /**
     * Hands {@code ready} a connection on {@code loop} (and whether it was reused from the pool), or {@code failed}
     * why none could be made within {@code connectTimeoutMs}. Called on {@code loop}; calls back on it.
     */
    void acquire(EventLoop loop, BiConsumer<RelayConnection, Boolean> ready, Consumer<Throwable> failed) {
        Loop pool = loops.get(loop);
        if (pool == null) {
            pool = loops.computeIfAbsent(loop, Loop::new);
        }
        RelayConnection idle = pool.takeIdle();
        if (idle != null) {
            ready.accept(idle, true);
        } else if (reserve()) {
            connect(pool, ready, failed);
        } else {
            pool.await(new Waiter(ready, failed));
        }
    }

    /**
     * A new connection on {@code loop}, not one from the pool (a retry after a reused one turned out closed); while
     * {@code maxConnections} are open it waits as {@link #acquire} does, and may then get one that came back.
     */
    void connect(EventLoop loop, BiConsumer<RelayConnection, Boolean> ready, Consumer<Throwable> failed) {
        Loop pool = loops.computeIfAbsent(loop, Loop::new);
        if (reserve()) {
            connect(pool, ready, failed);
        } else {
            pool.await(new Waiter(ready, failed));
        }
    }

    /** Counts a connection about to be made; false when {@code maxConnections} are open already. */
    private boolean reserve() {
        int now;
        do {
            now = open.get();
            if (now >= maxConnections) {
                return false;
            }
        } while (!open.compareAndSet(now, now + 1));
        return true;
    }

    /** Makes a connection counted by {@link #reserve()}; its closing, however it comes, gives the count back. */
    private void connect(Loop pool, BiConsumer<RelayConnection, Boolean> ready, Consumer<Throwable> failed) {
        // the place is given back once, by whichever comes first: the channel's close, or a failure to make one
        // at all (out of file descriptors, say), whose channel was never registered and so never closes
        AtomicBoolean counted = new AtomicBoolean(true);
        Runnable giveBack = () -> {
            if (counted.getAndSet(false)) {
                open.decrementAndGet();
                wakeWaiters();
            }
        };
        ChannelFuture connecting = pool.bootstrap.connect(address());
        connecting.channel().closeFuture().addListener(f -> giveBack.run());
        connecting.addListener(f -> {
            if (f.isSuccess()) {
                ready.accept(connecting.channel().pipeline().get(RelayConnection.class), false);
                return;
            }
            Channel channel = connecting.channel();
            if (channel.isRegistered()) {
                channel.close();
            } else {
                giveBack.run();
            }
            // a failed registration tells this listener on another thread: the exchange hears of it on its loop
            if (pool.loop.inEventLoop()) {
                failed.accept(f.cause());
            } else {
                pool.loop.execute(() -> failed.accept(f.cause()));
            }
        });
    }

    /**
     * Every place is taken: each other loop closes its least recently used idle connection, if it has one, which
     * gives its place back (and wakes the waiters); kept idle for up to {@link #IDLE_MILLIS}, they would otherwise hold
     * the places of a burst that is over while this loop's requests wait. Only at the bound: a task per loop.
     */
    private void reclaimIdle(Loop waiting) {
        for (Loop pool : loops.values()) {
            if (pool != waiting) {
                pool.loop.execute(pool::closeOldestIdle);
            }
        }
    }

    /** A connection closed somewhere: a loop with requests waiting may now make one. */
    private void wakeWaiters() {
        for (Loop pool : loops.values()) {
            if (pool.waiting > 0) {
                pool.loop.execute(pool::serveWaiters);
            }
        }
    }

    /** Open connections over all loops, in use or idle, for tests. */
    int open() {
        return open.get();
    }

    private InetSocketAddress address() {
        byte[] ip = NetUtil.createByteArrayFromIpAddressString(host);
        if (ip != null) {
            try {
                return new InetSocketAddress(InetAddress.getByAddress(host, ip), port);
            } catch (java.net.UnknownHostException e) {
                // cannot happen for an address of the right length; resolve it by name instead
            }
        }
        // resolved by Vert.x's resolver on connect (set on the bootstrap), never by a blocking look-up on the loop
        return InetSocketAddress.createUnresolved(host, port);
    }

    /**
     * Takes a connection back after a complete exchange (response read to its end, request sent whole). Called on
     * the connection's loop; a connection that is closing, or comes back after {@link #close()}, is closed.
     */
    void release(RelayConnection connection) {
        Loop pool = loops.get(connection.channel().eventLoop());
        if (closed || pool == null || !connection.channel().isActive()) {
            connection.channel().close();
            return;
        }
        Waiter waiter = pool.nextWaiter();
        if (waiter != null) {
            waiter.ready.accept(connection, true);
            return;
        }
        if (pool.idle.size() >= MAX_IDLE_PER_LOOP) {
            connection.channel().close();
            return;
        }
        connection.idleSince = System.nanoTime();
        pool.idle.addFirst(connection);
        pool.sweepLater();
    }

    /** An idle connection the upstream closed leaves its pool. Called on its loop. */
    void forget(RelayConnection connection) {
        Loop pool = loops.get(connection.channel().eventLoop());
        if (pool != null) {
            pool.idle.remove(connection);
        }
    }

    /** Connections on {@code loop}'s pool now, for tests. */
    int idleOn(EventLoop loop) {
        Loop pool = loops.get(loop);
        return pool == null ? 0 : pool.idle.size();
    }

    /** Closes every idle connection; those still serving a request are closed when it ends. */
    void close() {
        closed = true;
        for (Loop pool : loops.values()) {
            pool.loop.execute(pool::closeAll);
        }
    }

    /** One event loop's connections: touched only on that loop. */
    private final class Loop {
        final EventLoop loop;
        final Bootstrap bootstrap;
        /** Most recently used first: the oldest, at the end, are the ones the sweeper closes. */
        final ArrayDeque<RelayConnection> idle = new ArrayDeque<>();
        /** Requests waiting for a connection, oldest first. */
        final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
        /** The size of {@link #waiters}, for other loops to see when a connection closes. */
        volatile int waiting;
        ScheduledFuture<?> sweeper;

        Loop(EventLoop loop) {
            this.loop = loop;
            HttpClientOptions defaults = new HttpClientOptions();
            this.bootstrap = new Bootstrap()
                    .group(loop)
                    .channelFactory(vertx.transport().channelFactory(false))
                    .resolver(vertx.nameResolver().nettyAddressResolverGroup());
            vertx.transport().configure(defaults, connectTimeoutMs, false, bootstrap);
            // One read per wake-up, as the Vert.x client's connections (HttpUpstream#oneReadPerWakeup): a download
            // to a slow client holds at most one read in direct memory per upstream connection.
            bootstrap.option(ChannelOption.RCVBUF_ALLOCATOR, new AdaptiveRecvByteBufAllocator().maxMessagesPerRead(1));
            // Read buffers of their own, freed when released: a read's bytes now live until the client has taken
            // them (no heap copy), and a slow client's one buffer, taken from a pooled allocator's 2 MiB chunk,
            // pins the whole chunk. 200 slow downloads (load-tests/run --memory) exhausted 256 MiB of direct
            // memory that way; unpooled, each holds about one read.
            bootstrap.option(ChannelOption.ALLOCATOR, UnpooledByteBufAllocator.DEFAULT);
            bootstrap.handler(new ChannelInitializer<Channel>() {
                @Override
                protected void initChannel(Channel channel) {
                    HttpDecoderConfig decoder = new HttpDecoderConfig()
                            .setMaxInitialLineLength(HttpClientOptions.DEFAULT_MAX_INITIAL_LINE_LENGTH)
                            .setMaxHeaderSize(HttpUpstream.MAX_RESPONSE_HEADER_BYTES)
                            .setMaxChunkSize(MAX_CHUNK);
                    channel.pipeline().addLast("codec", new HttpClientCodec(decoder, false, false));
                    channel.pipeline().addLast("relay", new RelayConnection(RelayPool.this, channel));
                }
            });
        }

        RelayConnection takeIdle() {
            RelayConnection connection;
            while ((connection = idle.pollFirst()) != null) {
                if (connection.channel().isActive()) {
                    return connection;
                }
            }
            return null;
        }

        void closeOldestIdle() {
            RelayConnection oldest = idle.pollLast();
            if (oldest != null) {
                oldest.channel().close();
            }
        }

        void await(Waiter waiter) {
            waiters.addLast(waiter);
            waiting = waiters.size();
            waiter.timeout = loop.schedule(() -> {
                if (waiters.remove(waiter)) {
                    waiting = waiters.size();
                    waiter.failed.accept(new Exhausted("no connection to the upstream came free within "
                            + connectTimeoutMs + " ms: the gateway keeps at most " + maxConnections + " open to it"));
                }
            }, connectTimeoutMs, TimeUnit.MILLISECONDS);
            // a connection may have closed between the count and the queue
            serveWaiters();
            if (!waiters.isEmpty()) {
                reclaimIdle(this);
            }
        }

        /** The oldest waiter, taken off the queue with its timeout cancelled; null when none waits. */
        Waiter nextWaiter() {
            Waiter waiter = waiters.pollFirst();
            if (waiter != null) {
                waiting = waiters.size();
                waiter.timeout.cancel(false);
            }
            return waiter;
        }

        /** Hands waiters idle connections, or new ones while the count allows. */
        void serveWaiters() {
            while (!waiters.isEmpty()) {
                RelayConnection connection = takeIdle();
                if (connection != null) {
                    nextWaiter().ready.accept(connection, true);
                } else if (reserve()) {
                    Waiter waiter = nextWaiter();
                    connect(this, waiter.ready, waiter.failed);
                } else {
                    return;
                }
            }
        }

        void sweepLater() {
            if (sweeper == null) {
                sweeper = loop.schedule(this::sweep, IDLE_MILLIS, TimeUnit.MILLISECONDS);
            }
        }

        private void sweep() {
            sweeper = null;
            long now = System.nanoTime();
            RelayConnection oldest;
            while ((oldest = idle.peekLast()) != null
                    && now - oldest.idleSince >= TimeUnit.MILLISECONDS.toNanos(IDLE_MILLIS)) {
                idle.pollLast();
                oldest.channel().close();
            }
            if (oldest != null) {
                long due = TimeUnit.MILLISECONDS.toNanos(IDLE_MILLIS) - (now - oldest.idleSince);
                sweeper = loop.schedule(this::sweep, Math.max(1, due), TimeUnit.NANOSECONDS);
            }
        }

        private void closeAll() {
            RelayConnection connection;
            while ((connection = idle.pollFirst()) != null) {
                connection.channel().close();
            }
            if (sweeper != null) {
                sweeper.cancel(false);
                sweeper = null;
            }
        }
    }
}
