package io.chartgate.proxy;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
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
    private static final byte[] LOG_ERROR = "{\"event\":\"log_error\"}\n".getBytes(StandardCharsets.UTF_8);

    private final BlockingQueue<Map<String, Object>> queue = new ArrayBlockingQueue<>(16_384);
    private final AtomicLong dropped = new AtomicLong();
    private final OutputStream out;
    /** The line being written, reused: only the writer thread touches it. */
    private final Line line = new Line();
    /** Writes into {@link #line}, one root object per entry; made again after a failed line. Writer thread only. */
    private JsonGenerator json;
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
     * nulls kept, an {@link Instant} as its ISO-8601 string); the map and its values must not change once queued.
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
                try {
                    line.reset();
                    writeLine(entry);
                    out.write(line.buffer(), 0, line.size());
                } catch (IOException | RuntimeException e) {
                    json = null; // its state is that of a half-written line
                    out.write(LOG_ERROR);
                }
            } while ((entry = queue.poll()) != null);
            out.flush();
        } catch (IOException e) {
            // stdout is gone: nothing to report it to; keep draining so the queue never fills
        }
        return true;
    }

    /**
     * One entry as a JSON line into {@link #line}: its strings, numbers, booleans and lists written straight to the
     * generator, anything else through Jackson's serializers (a map per line through them cost the one core of a
     * loaded gateway several percent). One generator serves every line (made per line it cost a quarter of the writer's
     * time): its root objects are separated by nothing, and the newline is written after it has flushed.
     */
    private void writeLine(Map<String, Object> entry) throws IOException {
        if (json == null) {
            json = JSON.getFactory().createGenerator(line);
            json.setRootValueSeparator(null);
        }
        json.writeStartObject();
        for (Map.Entry<String, Object> field : entry.entrySet()) {
            json.writeFieldName(field.getKey());
            Object value = field.getValue();
            if (value == null) {
                json.writeNull();
            } else if (value instanceof String text) {
                json.writeString(text);
            } else if (value instanceof Integer number) {
                json.writeNumber(number);
            } else if (value instanceof Long number) {
                json.writeNumber(number);
            } else if (value instanceof Double number) {
                json.writeNumber(number);
            } else if (value instanceof Boolean flag) {
                json.writeBoolean(flag);
            } else if (value instanceof Instant instant) {
                json.writeString(instant.toString());
            } else {
                JSON.writeValue(json, value);
            }
        }
        json.writeEndObject();
        json.flush();
        line.write('\n');
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

    /** A byte buffer whose contents can be written without a copy. */
    private static final class Line extends java.io.ByteArrayOutputStream {
        Line() {
            super(1024);
        }

        byte[] buffer() {
            return buf;
        }
    }
}
