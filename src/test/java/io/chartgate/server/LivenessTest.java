package io.chartgate.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LivenessTest {

    private final AtomicLong now = new AtomicLong();
    private final Liveness liveness = new Liveness(3, now::get);

    private void advance(long millis) {
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(millis));
    }

    @Test
    void loopsThatTickAreLive() {
        for (int i = 0; i < 20; i++) {
            advance(Liveness.TICK_MILLIS);
            liveness.tick(0);
            liveness.tick(1);
            liveness.tick(2);
        }
        assertNull(liveness.stalled());
    }

    @Test
    void aLoopThatStopsTickingIsNamedOnceItIsPastTheStallAndLiveAgainWhenItRuns() {
        advance(Liveness.STALL_MILLIS);
        liveness.tick(0);
        liveness.tick(2);
        assertNull(liveness.stalled(), "exactly the stall time is still live");
        advance(1);
        assertEquals("event loop 1 has not run for " + (Liveness.STALL_MILLIS + 1) + " ms", liveness.stalled());
        liveness.tick(1);
        assertNull(liveness.stalled());
    }
}
