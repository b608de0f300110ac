package io.chartgate.metrics;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the status page shows of recent traffic: the principals seen most recently (at most {@code maxPrincipals},
 * the least recently seen dropped first) and the last {@code maxDenials} denials. Recording runs on the event
 * loops for every request, so it takes no lock: a known principal costs a map lookup and a few plain writes, a
 * denial one slot of a ring. Values are stored as given; the caller passes the canonical path only (never a
 * query string) and nothing secret.
 */
public final class RecentActivity {

    /** The default bounds: the 100 most recent principals and the 50 most recent denials. */
    public static final int PRINCIPALS = 100;
    public static final int DENIALS = 50;

    /** One principal as last seen. {@code notAfter} and {@code subject} are of its last certificate (null: anonymous). */
    public record Seen(String principal, String subject, Instant notAfter, long requests, Instant lastSeen,
            String lastDecision, int lastStatus) {
    }

    /**
     * One refused request: {@code path} is the canonical path (no query), {@code reason} the sentence the client
     * got (the decision's, or the refusal's reason phrase), {@code rule} the rule involved, or null.
     */
    public record Denial(Instant at, String principal, String subject, String method, String path, int status, String rule,
            String reason) {
    }

    /** A principal's running record: written by whichever event loop served its last request. */
    private static final class Entry {
        final String principal;
        final LongAdder requests = new LongAdder();
        volatile String subject;
        volatile Instant notAfter;
        volatile long lastSeenMillis;
        volatile String lastDecision;
        volatile int lastStatus;

        Entry(String principal) {
            this.principal = principal;
        }
    }

    private final int maxPrincipals;
    private final Map<String, Entry> principals = new ConcurrentHashMap<>();
    private final AtomicReferenceArray<Denial> denials;
    private final AtomicLong denialCount = new AtomicLong();

    public RecentActivity() {
        this(PRINCIPALS, DENIALS);
    }

    public RecentActivity(int maxPrincipals, int maxDenials) {
        if (maxPrincipals < 1 || maxDenials < 1) {
            throw new IllegalArgumentException("bounds must be positive");
        }
        this.maxPrincipals = maxPrincipals;
        this.denials = new AtomicReferenceArray<>(maxDenials);
    }

    /**
     * One finished request of {@code principal}.
     *
     * @param subject the certificate's subject DN, or null (anonymous)
     * @param notAfter the certificate's expiry, or null (anonymous)
     * @param decision allowed, denied or rejected
     */
    public void request(String principal, String subject, Instant notAfter, String decision, int status, long nowMillis) {
        Entry entry = principals.get(principal);
        if (entry == null) {
            entry = principals.computeIfAbsent(principal, Entry::new);
            if (principals.size() > maxPrincipals) {
                evictOldest(entry);
            }
        }
        entry.requests.increment();
        entry.subject = subject;
        entry.notAfter = notAfter;
        entry.lastSeenMillis = nowMillis;
        entry.lastDecision = decision;
        entry.lastStatus = status;
    }

    /**
     * Drops the least recently seen principals until the bound holds again. Only a principal not seen before gets
     * here, and then the scan is over at most the bound plus the few racing in: cheap, and never on a known
     * principal's request.
     */
    private void evictOldest(Entry keep) {
        while (principals.size() > maxPrincipals) {
            Entry oldest = null;
            for (Entry e : principals.values()) {
                if (e != keep && (oldest == null || e.lastSeenMillis < oldest.lastSeenMillis)) {
                    oldest = e;
                }
            }
            if (oldest == null) {
                return;
            }
            principals.remove(oldest.principal, oldest);
        }
    }

    /** One refused request (a policy denial, or a 401/403 before it); the oldest of the ring is overwritten. */
    public void denial(Denial denial) {
        long n = denialCount.getAndIncrement();
        denials.set((int) (n % denials.length()), denial);
    }

    /** The principals, most recently seen first. */
    public List<Seen> principals() {
        List<Seen> seen = new ArrayList<>(principals.size());
        for (Entry e : principals.values()) {
            seen.add(new Seen(e.principal, e.subject, e.notAfter, e.requests.sum(), Instant.ofEpochMilli(e.lastSeenMillis),
                    e.lastDecision, e.lastStatus));
        }
        seen.sort(Comparator.comparing(Seen::lastSeen).reversed().thenComparing(Seen::principal));
        return seen.size() > maxPrincipals ? List.copyOf(seen.subList(0, maxPrincipals)) : List.copyOf(seen);
    }

    /** The denials held, most recent first. */
    public List<Denial> denials() {
        long end = denialCount.get();
        int size = denials.length();
        List<Denial> recent = new ArrayList<>(size);
        for (long i = end - 1; i >= 0 && i >= end - size; i--) {
            Denial d = denials.get((int) (i % size));
            if (d != null) {
                recent.add(d);
            }
        }
        // a slot written while this ran may be newer than its neighbours: the order is by time
        recent.sort(Comparator.comparing(Denial::at).reversed());
        return List.copyOf(recent);
    }

    /** How many denials were recorded since start (the page says when older ones were dropped). */
    public long denialsRecorded() {
        return denialCount.get();
    }
}
