package io.chartgate.proxy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * One JSON object per line, written by a background thread so the event loop never waits on stdout or spends
 * its time on JSON. The event loop only queues the entry: it never wakes the writer, which drains the queue
 * every {@value #DRAIN_MILLIS} ms, serialises and writes the whole batch with one flush (a wake-up per request
 * is a context switch per request: 18,000 a second on a one-core gateway under load, see load-tests/RESULTS.md).
 * When the queue is full (stdout blocked), entries are dropped and counted rather than stalling requests; the
 * count appears in the next line that gets through.
 */
public final class AccessLog implements AutoCloseable {

    static final long DRAIN_MILLIS = 10;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final byte[] NEWLINE = {'\n'};

    private final BlockingQueue<Map<String, Object>> queue = new ArrayBlockingQueue<>(16_384);
    private final AtomicLong dropped = new AtomicLong();
    private final OutputStream out;
    private final Thread writer;
    private volatile boolean stopping;

    public AccessLog(OutputStream out) {
        this.out = new BufferedOutputStream(out, 64 * 1024);
        this.writer = new Thread(this::drain, "chartgate-access-log");
        this.writer.setDaemon(true);
        this.writer.start();
    }

    /**
     * Queues one entry; never blocks and never wakes the writer. Values are written as JSON (strings escaped,
     * nulls kept); the map and its values must not change once queued.
     */
    public void write(Map<String, Object> entry) {
        long lost = dropped.getAndSet(0);
        if (lost > 0) {
            entry.put("droppedLines", lost);
        }
        if (!queue.offer(entry)) {
            dropped.addAndGet(1 + lost);
        }
    }

    private void drain() {
        while (!stopping) {
            if (!writeQueued()) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(DRAIN_MILLIS));
            }
        }
        writeQueued();
    }

    /** Writes every queued entry and flushes; false when there was none. */
    private boolean writeQueued() {
        Map<String, Object> entry = queue.poll();
        if (entry == null) {
            return false;
        }
        try {
            do {
                byte[] line;
                try {
                    line = JSON.writeValueAsBytes(entry);
                } catch (JsonProcessingException e) {
                    line = "{\"event\":\"log_error\"}".getBytes(StandardCharsets.UTF_8);
                }
                out.write(line);
                out.write(NEWLINE);
            } while ((entry = queue.poll()) != null);
            out.flush();
        } catch (IOException e) {
            // stdout is gone: nothing to report it to; keep draining so the queue never fills
        }
        return true;
    }

    /** Writes what is queued and stops the writer. */
    @Override
    public void close() {
        stopping = true;
        LockSupport.unpark(writer);
        try {
            // bounded: a blocked stdout must not hold up shutdown
            writer.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
