package io.chartgate.server;

import io.chartgate.admin.StatusReport;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The last reload's facts, as its {@code config_reload} log entry states them (time, trigger, result, errors,
 * warnings, restartRequired), for the status page. Empty until the first reload after start.
 */
final class LastReload {

    private volatile StatusReport.Reload last;

    /** Keeps the facts of a {@code config_reload} entry, the same ones the access log gets. */
    void record(Map<String, Object> entry) {
        last = new StatusReport.Reload(Instant.parse(String.valueOf(entry.get("time"))), String.valueOf(entry.get("trigger")),
                String.valueOf(entry.get("result")), strings(entry.get("errors")), strings(entry.get("restartRequired")),
                strings(entry.get("warnings")));
    }

    /** The last reload, or null when none ran since start. */
    StatusReport.Reload get() {
        return last;
    }

    private static List<String> strings(Object value) {
        return value instanceof List<?> list ? list.stream().map(String::valueOf).toList() : List.of();
    }
}
