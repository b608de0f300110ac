package io.chartgate.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AccessLogTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void everyEntryIsOneJsonLineWithItsValuesTyped() throws Exception {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        AccessLog log = new AccessLog(sink);
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("event", "request");
        request.put("time", Instant.parse("2026-01-02T03:04:05.123Z"));
        request.put("path", "/charts/a \"quoted\"\nname.tgz");
        request.put("status", 200);
        request.put("bytesOut", 3072L);
        request.put("durationMs", 1.25);
        request.put("rule", null);
        request.put("ok", true);
        log.write(request);
        Map<String, Object> reload = new LinkedHashMap<>();
        reload.put("event", "config_reload");
        reload.put("errors", List.of("routes[0].prefix: missing", "policy.rules: empty"));
        log.write(reload);
        log.close();

        String[] lines = sink.toString(StandardCharsets.UTF_8).split("\n", -1);
        assertEquals(3, lines.length, "two lines, each ended by a newline");
        assertEquals("", lines[2]);
        JsonNode first = JSON.readTree(lines[0]);
        assertEquals(List.of("event", "time", "path", "status", "bytesOut", "durationMs", "rule", "ok"),
                iterable(first.fieldNames()), "fields in the order they were put");
        assertEquals("2026-01-02T03:04:05.123Z", first.get("time").asText());
        assertEquals("/charts/a \"quoted\"\nname.tgz", first.get("path").asText());
        assertTrue(first.get("status").isInt());
        assertEquals(3072L, first.get("bytesOut").asLong());
        assertEquals(1.25, first.get("durationMs").asDouble());
        assertTrue(first.get("rule").isNull());
        assertTrue(first.get("ok").asBoolean());
        JsonNode second = JSON.readTree(lines[1]);
        assertTrue(second.get("errors").isArray());
        assertEquals("policy.rules: empty", second.get("errors").get(1).asText());
    }

    /** A value Jackson cannot write breaks its line half-way: that line is replaced, and the next one is whole. */
    @Test
    void aLineThatCannotBeWrittenIsReplacedAndTheNextLineIsWhole() throws Exception {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        AccessLog log = new AccessLog(sink);
        Map<String, Object> broken = new LinkedHashMap<>();
        broken.put("event", "request");
        broken.put("value", new Object() {
            public String getValue() {
                throw new IllegalStateException("cannot be written");
            }
        });
        log.write(broken);
        Map<String, Object> next = new LinkedHashMap<>();
        next.put("event", "request");
        next.put("status", 200);
        log.write(next);
        log.close();

        String[] lines = sink.toString(StandardCharsets.UTF_8).split("\n", -1);
        assertEquals(List.of("{\"event\":\"log_error\"}", "{\"event\":\"request\",\"status\":200}", ""), List.of(lines));
    }

    private static List<String> iterable(java.util.Iterator<String> names) {
        List<String> out = new java.util.ArrayList<>();
        names.forEachRemaining(out::add);
        return out;
    }
}
