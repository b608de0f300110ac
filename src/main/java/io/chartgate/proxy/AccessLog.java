package io.chartgate.proxy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One JSON object per line, written by a background thread so the event loop never waits on stdout. When the
 * queue is full (stdout blocked), lines are dropped and counted rather than stalling requests; the count
 * appears in the next line that gets through.
 */
public final class AccessLog implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Compared by identity: no real line is this instance. */
    private static final String STOP = new String("stop");

    private final BlockingQueue<String> queue = new ArrayBlockingQueue<>(16_384);
    private final AtomicLong dropped = new AtomicLong();
    private final PrintStream out;
    private final Thread writer;

    public AccessLog(OutputStream out) {
        this.out = new PrintStream(out, false, StandardCharsets.UTF_8);
        this.writer = new Thread(this::drain, "chartgate-access-log");
        this.writer.setDaemon(true);
        this.writer.start();
    }

    /** Queues one entry; never blocks. Values are written as JSON (strings escaped, nulls kept). */
    public void write(Map<String, Object> entry) {
        long lost = dropped.getAndSet(0);
        if (lost > 0) {
            entry.put("droppedLines", lost);
        }
        String line;
        try {
            line = JSON.writeValueAsString(entry);
        } catch (JsonProcessingException e) {
            line = "{\"event\":\"log_error\"}";
        }
        if (!queue.offer(line)) {
            dropped.addAndGet(1 + lost);
        }
    }

    private void drain() {
        try {
            while (true) {
                String line = queue.take();
                if (line == STOP) {
                    break;
                }
                out.println(line);
                if (queue.isEmpty()) {
                    out.flush();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        String line;
        while ((line = queue.poll()) != null && line != STOP) {
            out.println(line);
        }
        out.flush();
    }

    /** Writes what is queued and stops the writer. */
    @Override
    public void close() {
        try {
            // bounded: a blocked stdout must not hold up shutdown
            if (queue.offer(STOP, 5, TimeUnit.SECONDS)) {
                writer.join(TimeUnit.SECONDS.toMillis(5));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
