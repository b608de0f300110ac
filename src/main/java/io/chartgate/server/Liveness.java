package io.chartgate.server;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongSupplier;

/**
 * Whether every event loop still runs: each loop stamps the time on itself every {@link #TICK_MILLIS}; a loop
 * whose last stamp is older than {@link #STALL_MILLIS} is blocked (or the JVM is stuck, out of memory, say), and
 * {@code /healthz} and {@code chartgate healthcheck} then fail, so a supervisor restarts the process rather
 * than keep one that answers nothing.
 */
final class Liveness {

    static final long TICK_MILLIS = 500;
    static final long STALL_MILLIS = 5000;

    private final AtomicLongArray ticks;
    private final LongSupplier clock;
    private final List<ScheduledFuture<?>> timers = new ArrayList<>();

    Liveness(int loops, LongSupplier clock) {
        this.ticks = new AtomicLongArray(loops);
        this.clock = clock;
        for (int i = 0; i < loops; i++) {
            ticks.set(i, clock.getAsLong());
        }
    }

    /** Starts a tick on each of the Vert.x instance's event loops. */
    static Liveness start(Vertx vertx) {
        List<EventExecutor> loops = new ArrayList<>();
        // the loops themselves, which Vert.x's public API does not list (like StrictRequestDecoder's, an internal)
        ((VertxInternal) vertx).eventLoopGroup().forEach(loops::add);
        Liveness liveness = new Liveness(loops.size(), System::nanoTime);
        for (int i = 0; i < loops.size(); i++) {
            int loop = i;
            liveness.timers.add(loops.get(i).scheduleAtFixedRate(() -> liveness.tick(loop), 0, TICK_MILLIS,
                    TimeUnit.MILLISECONDS));
        }
        return liveness;
    }

    void tick(int loop) {
        ticks.set(loop, clock.getAsLong());
    }

    /** Null while every loop ran within {@link #STALL_MILLIS}, else which did not and for how long. */
    String stalled() {
        long now = clock.getAsLong();
        List<String> stalled = new ArrayList<>();
        for (int i = 0; i < ticks.length(); i++) {
            long idle = TimeUnit.NANOSECONDS.toMillis(now - ticks.get(i));
            if (idle > STALL_MILLIS) {
                stalled.add("event loop " + i + " has not run for " + idle + " ms");
            }
        }
        return stalled.isEmpty() ? null : String.join(", ", stalled);
    }

    void stop() {
        timers.forEach(timer -> timer.cancel(false));
    }
}
