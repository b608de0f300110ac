package io.chartgate.helm;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Rewritten index files, one per upstream index version and public base, least recently used first out once
 * the bytes held pass the bound. Revalidated against the upstream's {@code ETag} or {@code Last-Modified}, so
 * an index is parsed and rewritten once per upstream version, not once per request.
 */
public final class IndexCache {

    /**
     * One rewritten index.
     *
     * @param upstreamEtag the upstream's validator for the version rewritten (either may be null)
     * @param etag the gateway's own validator for {@code body}
     */
    public record Entry(String upstreamEtag, String upstreamLastModified, byte[] body, String etag, String contentType,
            int rewritten) {
    }

    private final long maxBytes;
    private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
    private long bytes;

    public IndexCache(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    public synchronized Entry get(String key) {
        return entries.get(key);
    }

    /** Keeps {@code entry} unless it alone is larger than the bound; evicts the least recently used to fit. */
    public synchronized void put(String key, Entry entry) {
        Entry previous = entries.remove(key);
        if (previous != null) {
            bytes -= previous.body().length;
        }
        if (entry.body().length > maxBytes) {
            return;
        }
        entries.put(key, entry);
        bytes += entry.body().length;
        Iterator<Map.Entry<String, Entry>> eldest = entries.entrySet().iterator();
        while (bytes > maxBytes && eldest.hasNext()) {
            bytes -= eldest.next().getValue().body().length;
            eldest.remove();
        }
    }

    public synchronized long bytes() {
        return bytes;
    }
}
