package io.chartgate.upstream.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chartgate.testing.Resources;
import io.netty.channel.EventLoop;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link RelayPool}'s bound on open connections, against a real socket that accepts and holds them: a request
 * beyond it waits for one that comes back or closes, and fails as {@link RelayPool.Exhausted} when none does in time.
 */
class RelayPoolTest {

    private static final int CONNECT_TIMEOUT_MS = 400;

    private static Vertx vertx;
    private static EventLoop loop;
    /** Another event loop than {@link #loop}. */
    private static EventLoop other;
    private ServerSocket upstream;
    private final List<Socket> accepted = new CopyOnWriteArrayList<>();
    private RelayPool pool;

    /** A connection handed out, and whether it came from the pool. */
    private record Handed(RelayConnection connection, boolean reused) {
    }

    @BeforeAll
    static void startVertx() {
        vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
        loop = ((ContextInternal) vertx.getOrCreateContext()).nettyEventLoop();
        do {
            other = ((VertxInternal) vertx).nettyEventLoopGroup().next();
        } while (other == loop);
    }

    @AfterAll
    static void stopVertx() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @BeforeEach
    void startUpstream() throws IOException {
        upstream = new ServerSocket(0);
        Thread acceptor = new Thread(() -> {
            try {
                while (true) {
                    accepted.add(upstream.accept());
                }
            } catch (IOException closed) {
                // the test is over
            }
        }, "relay-pool-test-upstream");
        acceptor.setDaemon(true);
        acceptor.start();
        pool = new RelayPool((VertxInternal) vertx, "127.0.0.1", upstream.getLocalPort(), CONNECT_TIMEOUT_MS, 2);
    }

    @AfterEach
    void stopUpstream() {
        pool.close();
        Resources.closeAll(upstream);
        Resources.closeAll(accepted.toArray(AutoCloseable[]::new));
    }

    @Test
    void aRequestBeyondTheLimitGetsTheFirstConnectionThatComesBack() throws Exception {
        Handed first = acquire().get(5, TimeUnit.SECONDS);
        acquire().get(5, TimeUnit.SECONDS);
        CompletableFuture<Handed> third = acquire();
        onLoop(() -> { }); // the acquire has run
        assertFalse(third.isDone(), "a third connection was handed out with two open and a limit of two");
        assertEquals(2, pool.open());

        onLoop(() -> pool.release(first.connection()));

        Handed handed = third.get(5, TimeUnit.SECONDS);
        assertSame(first.connection(), handed.connection());
        assertTrue(handed.reused());
        assertEquals(2, pool.open());
    }

    @Test
    void aRequestBeyondTheLimitGetsANewConnectionWhenOneCloses() throws Exception {
        Handed first = acquire().get(5, TimeUnit.SECONDS);
        Handed second = acquire().get(5, TimeUnit.SECONDS);
        CompletableFuture<Handed> third = acquire();
        onLoop(() -> { });
        assertFalse(third.isDone(), "a third connection was handed out with two open and a limit of two");

        first.connection().channel().close();

        Handed handed = third.get(5, TimeUnit.SECONDS);
        assertNotSame(first.connection(), handed.connection());
        assertNotSame(second.connection(), handed.connection());
        assertFalse(handed.reused());
        assertEquals(2, pool.open());
    }

    @Test
    void aRequestThatFindsNoConnectionFreeWithinTheConnectTimeoutFailsAsExhausted() throws Exception {
        acquire().get(5, TimeUnit.SECONDS);
        acquire().get(5, TimeUnit.SECONDS);

        ExecutionException failure = assertThrows(ExecutionException.class, () -> acquire().get(5, TimeUnit.SECONDS));

        assertTrue(failure.getCause() instanceof RelayPool.Exhausted, String.valueOf(failure.getCause()));
        assertTrue(failure.getCause().getMessage().contains("at most 2"), failure.getCause().getMessage());
        assertEquals(2, pool.open());
    }

    @Test
    void aConnectionThatClosesGivesItsPlaceBack() throws Exception {
        Handed first = acquire().get(5, TimeUnit.SECONDS);
        Handed second = acquire().get(5, TimeUnit.SECONDS);

        first.connection().channel().close().sync();
        second.connection().channel().close().sync();

        // the count is given back by the close's listener, which runs after the close completes
        onLoop(() -> { });
        assertEquals(0, pool.open());
    }

    @Test
    void aRequestOnALoopWithNothingFreeGetsThePlaceOfAnotherLoopsIdleConnection() throws Exception {
        Handed first = acquire().get(5, TimeUnit.SECONDS);
        Handed second = acquire().get(5, TimeUnit.SECONDS);
        onLoop(() -> {
            pool.release(first.connection());
            pool.release(second.connection());
        });
        assertEquals(2, pool.open(), "both kept idle on the first loop");

        Handed elsewhere = acquire(other).get(5, TimeUnit.SECONDS);
        assertFalse(elsewhere.reused());
        assertSame(other, elsewhere.connection().channel().eventLoop());
        assertEquals(1, pool.idleOn(loop), "the first loop gave up its least recently used idle connection");
    }

    @Test
    void aConnectionThatCannotBeMadeGivesItsPlaceBack() throws Exception {
        int closedPort;
        try (ServerSocket unused = new ServerSocket(0)) {
            closedPort = unused.getLocalPort();
        }
        RelayPool refused = new RelayPool((VertxInternal) vertx, "127.0.0.1", closedPort, CONNECT_TIMEOUT_MS, 2);
        try {
            for (int i = 0; i < 3; i++) {
                CompletableFuture<Handed> handed = new CompletableFuture<>();
                loop.execute(() -> refused.acquire(loop, (c, r) -> handed.complete(new Handed(c, r)),
                        handed::completeExceptionally));
                ExecutionException failure = assertThrows(ExecutionException.class, () -> handed.get(5, TimeUnit.SECONDS));
                assertFalse(failure.getCause() instanceof RelayPool.Exhausted, "the places were given back");
            }
            onLoop(() -> { });
            assertEquals(0, refused.open());
        } finally {
            refused.close();
        }
    }

    private CompletableFuture<Handed> acquire() {
        return acquire(loop);
    }

    private CompletableFuture<Handed> acquire(EventLoop on) {
        CompletableFuture<Handed> handed = new CompletableFuture<>();
        on.execute(() -> pool.acquire(on, (connection, reused) -> handed.complete(new Handed(connection, reused)),
                handed::completeExceptionally));
        return handed;
    }

    private static void onLoop(Runnable task) throws Exception {
        loop.submit(task).get(5, TimeUnit.SECONDS);
    }
}
