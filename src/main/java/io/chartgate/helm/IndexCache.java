package io.chartgate.helm;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * The index step's memory. Per route and index path it keeps the upstream's index ({@link Source}: parsed once per
 * upstream version) and the views rendered from it (one per public base and, with {@code filterIndex}, per set of
 * rules a caller matches). Concurrent misses share one load and one render; a cached index is asked for again
 * upstream at most every {@code revalidateNanos}; a write through a route drops that route's indexes at once.
 *
 * <p>One bound covers it all: the bytes of every key, source and view held, what loads and renders in flight
 * have reserved ({@link #reserve}), and every body a response or render in flight still reads ({@link #lease}),
 * counted once however many read it, and still counted when the cache itself has dropped it. Room is made by dropping the least recently used indexes; when none
 * can be dropped, a reservation fails and its request is answered 503 instead of taking a share of the heap.
 * The number of indexes and of views per index is capped too, so a caller who varies the path cannot flood it.
 */
public final class IndexCache {

    /** An index file of a route: the route's name and the path below its prefix (never the query). */
    public record Key(String route, String path) {
        long bytes() {
            return 64L + 2L * (route.length() + path.length());
        }
    }

    /**
     * An upstream index as parsed.
     *
     * @param digest hex SHA-256 of the upstream's bytes, from which each view's ETag is derived
     */
    public record Source(IndexDocument document, String upstreamEtag, String upstreamLastModified, String contentType,
            String digest) {

        /** What holding it costs: its bytes and the located places. */
        long bytes() {
            return document.retainedBytes();
        }
    }

    /** A view as served: its body (the source's own array when nothing changed), its ETag, what changed. */
    public record Rendered(byte[] body, String etag, String contentType, int rewritten, int removed) {
    }

    /** What a load found upstream. */
    public sealed interface Loaded permits Changed, Unchanged {
    }

    /** The upstream has a new (or a first) version. */
    public record Changed(Source source) implements Loaded {
    }

    /** The upstream answered 304: the cached source is still current. */
    public record Unchanged() implements Loaded {
    }

    private static final class Entry {
        final Key key;
        Source source;
        long validatedAt;
        boolean invalidated;
        Future<Source> loading;
        final LinkedHashMap<String, Rendered> views = new LinkedHashMap<>(4, 0.75f, true);
        final Map<String, Future<Rendered>> rendering = new HashMap<>();
        long viewBytes;

        Entry(Key key) {
            this.key = key;
        }

        long bytes() {
            return key.bytes() + (source == null ? 0 : source.bytes()) + viewBytes;
        }
    }

    /** Readers of one body; {@code orphan} when the cache no longer holds it, so the lease counts its bytes. */
    private static final class Lease {
        int readers = 1;
        boolean orphan;
    }

    private final long maxBytes;
    private final int maxEntries;
    private final int maxViews;
    private final long revalidateNanos;
    private final LongSupplier clock;
    private final LinkedHashMap<Key, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
    /** Bodies read by responses or renders in flight, by identity. */
    private final Map<byte[], Lease> leases = new IdentityHashMap<>();
    private final Map<String, Long> generations = new HashMap<>();
    private long held;

    /**
     * @param maxBytes everything the index step may hold at once
     * @param maxEntries index files kept
     * @param maxViews views kept per index file
     * @param revalidateNanos how long a loaded index is served without asking upstream
     * @param clock {@link System#nanoTime} but in tests
     */
    public IndexCache(long maxBytes, int maxEntries, int maxViews, long revalidateNanos, LongSupplier clock) {
        this.maxBytes = maxBytes;
        this.maxEntries = maxEntries;
        this.maxViews = maxViews;
        this.revalidateNanos = revalidateNanos;
        this.clock = clock;
    }

    /**
     * The index at {@code key}: the cached source while it is fresh, else the result of {@code load}, which is
     * given the cached source (null on a miss) to revalidate. Concurrent callers share one load; a failed load
     * fails them all and leaves the cached source (if any) to be revalidated by the next caller.
     */
    public Future<Source> source(Key key, Function<Source, Future<Loaded>> load) {
        Entry entry;
        Source stale;
        Promise<Source> promise;
        long generation;
        synchronized (this) {
            entry = entries.get(key);
            if (entry != null && entry.source != null && !entry.invalidated
                    && clock.getAsLong() - entry.validatedAt < revalidateNanos) {
                return Future.succeededFuture(entry.source);
            }
            if (entry != null && entry.loading != null) {
                return entry.loading;
            }
            if (entry == null) {
                entry = new Entry(key);
                entries.put(key, entry);
                held += entry.bytes();
                while (entries.size() > maxEntries) {
                    drop(entries.values().iterator().next());
                }
                makeRoom(0, entry);
            }
            stale = entry.source;
            promise = Promise.promise();
            entry.loading = promise.future();
            generation = generations.getOrDefault(key.route(), 0L);
        }
        Entry loading = entry;
        call(load, stale).onComplete(ar -> {
            Source result = ar.succeeded() ? settle(loading, generation, ar.result()) : forget(loading);
            if (ar.failed()) {
                promise.fail(ar.cause());
            } else if (result == null) {
                promise.fail(new IllegalStateException("the upstream answered 304 to an unconditional request"));
            } else {
                promise.complete(result);
            }
        });
        return promise.future();
    }

    private synchronized Source settle(Entry entry, long generation, Loaded loaded) {
        entry.loading = null;
        boolean cached = entries.get(entry.key) == entry;
        if (loaded instanceof Changed changed) {
            if (cached) {
                uncount(entry);
                entry.views.clear();
                entry.viewBytes = 0;
                entry.source = changed.source();
                held += entry.bytes();
                if (!makeRoom(0, entry)) {
                    drop(entry); // larger than everything the step may hold: served once, not kept
                }
            } else {
                entry.source = changed.source();
                entry.views.clear();
            }
        }
        entry.validatedAt = clock.getAsLong();
        // a write through the route while this load was in flight: serve it, but ask again next time
        entry.invalidated = generation != generations.getOrDefault(entry.key.route(), 0L);
        return entry.source;
    }

    private synchronized Source forget(Entry entry) {
        entry.loading = null;
        if (entry.source == null && entries.get(entry.key) == entry) {
            drop(entry);
        }
        return null;
    }

    /**
     * The view {@code viewKey} of {@code source}: cached, or made by {@code render} (once, however many ask
     * at the same time) and kept while {@code source} is the cached version.
     */
    public Future<Rendered> view(Key key, Source source, String viewKey, Function<Source, Future<Rendered>> render) {
        Entry entry;
        Promise<Rendered> promise;
        synchronized (this) {
            entry = entries.get(key);
            if (entry != null && entry.source == source) {
                Rendered cached = entry.views.get(viewKey);
                if (cached != null) {
                    return Future.succeededFuture(cached);
                }
                Future<Rendered> pending = entry.rendering.get(viewKey);
                if (pending != null) {
                    return pending;
                }
            }
            promise = Promise.promise();
            if (entry != null && entry.source == source) {
                entry.rendering.put(viewKey, promise.future());
            }
        }
        Entry owner = entry;
        call(render, source).onComplete(ar -> {
            if (owner != null) {
                keep(owner, source, viewKey, ar.succeeded() ? ar.result() : null);
            }
            promise.handle(ar);
        });
        return promise.future();
    }

    /** {@code work(argument)}, a throw turned into a failed future so every waiter hears of it. */
    private static <T, R> Future<R> call(Function<T, Future<R>> work, T argument) {
        try {
            return work.apply(argument);
        } catch (RuntimeException e) {
            return Future.failedFuture(e);
        }
    }

    private synchronized void keep(Entry entry, Source source, String viewKey, Rendered rendered) {
        entry.rendering.remove(viewKey);
        if (rendered == null || entry.source != source || entries.get(entry.key) != entry) {
            return;
        }
        long size = viewBytes(viewKey, rendered, source);
        if (!makeRoom(size, entry)) {
            return;
        }
        entry.views.put(viewKey, rendered);
        entry.viewBytes += size;
        held += size;
        Iterator<Map.Entry<String, Rendered>> eldest = entry.views.entrySet().iterator();
        while (entry.views.size() > maxViews && eldest.hasNext()) {
            Map.Entry<String, Rendered> old = eldest.next();
            long oldSize = viewBytes(old.getKey(), old.getValue(), source);
            entry.viewBytes -= oldSize;
            held -= oldSize;
            if (old.getValue().body() != source.document().source()) {
                stillLeased(old.getValue().body());
            }
            eldest.remove();
        }
    }

    private static long viewBytes(String viewKey, Rendered rendered, Source source) {
        long body = rendered.body() == source.document().source() ? 0 : rendered.body().length;
        return 64L + 2L * viewKey.length() + body;
    }

    /** Drops every index of {@code route}: a write went through it, so the next request asks upstream. */
    public synchronized void invalidate(String route) {
        generations.merge(route, 1L, Long::sum);
        entries.values().removeIf(entry -> {
            if (!entry.key.route().equals(route)) {
                return false;
            }
            uncount(entry);
            return true;
        });
    }

    /**
     * Reserves {@code bytes} for a load or render in flight, dropping least recently used indexes to make room;
     * false when even that does not make enough.
     */
    public synchronized boolean reserve(long bytes) {
        if (!makeRoom(bytes, null)) {
            return false;
        }
        held += bytes;
        return true;
    }

    /** Gives back what {@link #reserve} took. */
    public synchronized void release(long bytes) {
        held -= bytes;
    }

    /** Everything held: cached bytes and reservations. */
    public synchronized long bytes() {
        return held;
    }

    /** Index files cached. */
    public synchronized int size() {
        return entries.size();
    }

    /** Views cached over all index files. */
    public synchronized int views() {
        return entries.values().stream().mapToInt(e -> e.views.size()).sum();
    }

    /** Drops least recently used indexes (never {@code keep}) until {@code more} bytes fit; false if they cannot. */
    private boolean makeRoom(long more, Entry keep) {
        Iterator<Entry> eldest = entries.values().iterator();
        while (held + more > maxBytes && eldest.hasNext()) {
            Entry entry = eldest.next();
            if (entry != keep) {
                uncount(entry);
                eldest.remove();
            }
        }
        return held + more <= maxBytes;
    }

    private void drop(Entry entry) {
        if (entries.remove(entry.key, entry)) {
            uncount(entry);
        }
    }

    /** The cache stops holding an entry's source and views; bodies still leased stay counted by their lease. */
    private void uncount(Entry entry) {
        held -= entry.bytes();
        if (entry.source != null) {
            byte[] source = entry.source.document().source();
            stillLeased(source);
            for (Rendered view : entry.views.values()) {
                if (view.body() != source) {
                    stillLeased(view.body());
                }
            }
        }
    }

    private void stillLeased(byte[] body) {
        Lease lease = leases.get(body);
        if (lease != null && !lease.orphan) {
            lease.orphan = true;
            held += body.length;
        }
    }

    /**
     * Counts {@code body} while a response sends it or a render reads it: nothing more while the cache holds it
     * under {@code key}, else its bytes, which must fit (false when they do not). Every lease is given back with
     * {@link #unlease}.
     */
    public synchronized boolean lease(Key key, byte[] body) {
        Lease lease = leases.get(body);
        if (lease != null) {
            lease.readers++;
            return true;
        }
        Entry entry = entries.get(key);
        boolean cached = entry != null && entry.source != null && (entry.source.document().source() == body
                || entry.views.values().stream().anyMatch(view -> view.body() == body));
        if (!cached) {
            if (!makeRoom(body.length, null)) {
                return false;
            }
            held += body.length;
        }
        lease = new Lease();
        lease.orphan = !cached;
        leases.put(body, lease);
        return true;
    }

    /** One reader of {@code body} is done with it. */
    public synchronized void unlease(byte[] body) {
        Lease lease = leases.get(body);
        if (lease == null || --lease.readers > 0) {
            return;
        }
        leases.remove(body);
        if (lease.orphan) {
            held -= body.length;
        }
    }
}
