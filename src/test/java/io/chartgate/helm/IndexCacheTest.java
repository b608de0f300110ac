package io.chartgate.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class IndexCacheTest {

    private static final long SECOND = 1_000_000_000L;
    private static final IndexCache.Key KEY = new IndexCache.Key("museum", "/index.yaml");

    private final AtomicLong now = new AtomicLong();
    private final IndexCache cache = new IndexCache(1 << 20, 8, 2, SECOND, now::get);

    private static IndexCache.Source source(int bytes) {
        String index = "apiVersion: v1\nentries: {}\n# " + "x".repeat(Math.max(0, bytes - 30)) + "\n";
        try {
            return new IndexCache.Source(IndexDocument.parse(index.getBytes(StandardCharsets.UTF_8)), "\"e\"", null,
                    "application/x-yaml", Integer.toHexString(index.hashCode()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A load that counts its calls and completes when the test says so. */
    private static final class Loads implements Function<IndexCache.Source, Future<IndexCache.Loaded>> {
        final List<Promise<IndexCache.Loaded>> pending = new ArrayList<>();
        final List<IndexCache.Source> given = new ArrayList<>();

        @Override
        public Future<IndexCache.Loaded> apply(IndexCache.Source stale) {
            given.add(stale);
            Promise<IndexCache.Loaded> promise = Promise.promise();
            pending.add(promise);
            return promise.future();
        }
    }

    private IndexCache.Source load(IndexCache.Key key, IndexCache.Source loaded) {
        return cache.source(key, stale -> Future.succeededFuture(new IndexCache.Changed(loaded))).result();
    }

    @Test
    void concurrentMissesShareOneLoad() {
        Loads loads = new Loads();
        Future<IndexCache.Source> first = cache.source(KEY, loads);
        Future<IndexCache.Source> second = cache.source(KEY, loads);
        assertEquals(1, loads.pending.size());
        IndexCache.Source loaded = source(100);
        loads.pending.get(0).complete(new IndexCache.Changed(loaded));
        assertSame(loaded, first.result());
        assertSame(loaded, second.result());
    }

    @Test
    void aLoadedIndexIsServedWithoutAskingUpstreamUntilTheIntervalPasses() {
        IndexCache.Source loaded = load(KEY, source(100));
        Loads loads = new Loads();
        now.addAndGet(SECOND - 1);
        assertSame(loaded, cache.source(KEY, loads).result());
        assertTrue(loads.given.isEmpty());
        now.addAndGet(1);
        Future<IndexCache.Source> revalidated = cache.source(KEY, loads);
        assertSame(loaded, loads.given.get(0), "the load is given the cached copy to revalidate");
        loads.pending.get(0).complete(new IndexCache.Unchanged());
        assertSame(loaded, revalidated.result());
        assertSame(loaded, cache.source(KEY, new Loads()).result(), "and it is fresh again");
    }

    @Test
    void aWriteThroughTheRouteDropsItsIndexesAtOnce() {
        load(KEY, source(100));
        IndexCache.Key other = new IndexCache.Key("other", "/index.yaml");
        load(other, source(100));
        cache.invalidate("museum");
        Loads loads = new Loads();
        cache.source(KEY, loads);
        assertEquals(1, loads.given.size());
        assertNull(loads.given.get(0), "nothing is left to revalidate");
        Loads untouched = new Loads();
        cache.source(other, untouched);
        assertTrue(untouched.given.isEmpty(), "other routes keep theirs");
    }

    @Test
    void aLoadThatAWriteOvertookIsServedButAskedForAgainNextTime() {
        Loads loads = new Loads();
        Future<IndexCache.Source> inFlight = cache.source(KEY, loads);
        cache.invalidate("museum");
        IndexCache.Source loaded = source(100);
        loads.pending.get(0).complete(new IndexCache.Changed(loaded));
        assertSame(loaded, inFlight.result());
        Loads next = new Loads();
        cache.source(KEY, next);
        assertEquals(1, next.given.size());
    }

    @Test
    void aFailedLoadFailsEveryWaiterAndTheNextCallerTriesAgain() {
        Loads loads = new Loads();
        Future<IndexCache.Source> a = cache.source(KEY, loads);
        Future<IndexCache.Source> b = cache.source(KEY, loads);
        loads.pending.get(0).fail(new IllegalStateException("upstream down"));
        assertTrue(a.failed() && b.failed());
        assertEquals("upstream down", b.cause().getMessage());
        assertEquals(0, cache.size(), "a key with nothing loaded is not kept");
        Loads again = new Loads();
        cache.source(KEY, again);
        assertEquals(1, again.pending.size());
    }

    @Test
    void aViewIsRenderedOnceForConcurrentCallersAndKept() {
        IndexCache.Source loaded = load(KEY, source(100));
        AtomicInteger renders = new AtomicInteger();
        Promise<IndexCache.Rendered> rendering = Promise.promise();
        Function<IndexCache.Source, Future<IndexCache.Rendered>> render = s -> {
            renders.incrementAndGet();
            return rendering.future();
        };
        Future<IndexCache.Rendered> a = cache.view(KEY, loaded, "base\n*", render);
        Future<IndexCache.Rendered> b = cache.view(KEY, loaded, "base\n*", render);
        IndexCache.Rendered view = new IndexCache.Rendered(new byte[50], "\"v\"", "application/x-yaml", 1, 0);
        rendering.complete(view);
        assertSame(view, a.result());
        assertSame(view, b.result());
        assertSame(view, cache.view(KEY, loaded, "base\n*", render).result());
        assertEquals(1, renders.get());
    }

    @Test
    void viewsPerIndexAreCappedLeastRecentlyUsedFirst() {
        IndexCache.Source loaded = load(KEY, source(100));
        for (int i = 0; i < 50; i++) {
            byte[] body = new byte[100];
            cache.view(KEY, loaded, "view" + i, s -> Future.succeededFuture(
                    new IndexCache.Rendered(body, "\"" + body.hashCode() + "\"", "application/x-yaml", 0, 0)));
        }
        assertEquals(2, cache.views());
    }

    @Test
    void aFloodOfPathsStaysWithinTheEntryCapAndTheByteBound() {
        for (int i = 0; i < 5000; i++) {
            load(new IndexCache.Key("museum", "/t" + i + "/index.yaml"), source(10_000));
            assertTrue(cache.bytes() <= 1 << 20, () -> "over the bound: " + cache.bytes());
        }
        assertEquals(8, cache.size());
    }

    @Test
    void reservationsDropIdleIndexesAndFailWhenNothingIsLeftToDrop() {
        load(KEY, source(400_000));
        assertTrue(cache.reserve(700_000), "the cached index makes room");
        assertEquals(0, cache.size());
        assertFalse(cache.reserve(400_000), "only reservations are left: no room");
        cache.release(700_000);
        assertEquals(0, cache.bytes());
        assertTrue(cache.reserve(1 << 20));
        cache.release(1 << 20);
    }

    @Test
    void anIndexLargerThanTheWholeBoundIsServedOnceAndNotKept() {
        IndexCache small = new IndexCache(50_000, 8, 2, SECOND, now::get);
        IndexCache.Source big = source(200_000);
        IndexCache.Source served = small.source(KEY, s -> Future.succeededFuture(new IndexCache.Changed(big))).result();
        assertSame(big, served);
        assertEquals(0, small.size());
        assertTrue(small.bytes() <= 50_000);
        IndexCache.Source again = source(100);
        assertNotSame(big, small.source(KEY, s -> Future.succeededFuture(new IndexCache.Changed(again))).result());
    }
}
