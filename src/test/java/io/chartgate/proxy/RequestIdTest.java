package io.chartgate.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class RequestIdTest {

    @Test
    void aNewRequestIdIsARandomVersion4UuidAndNeverRepeats() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 100_000; i++) {
            String id = ProxyHandler.newRequestId();
            UUID uuid = UUID.fromString(id);
            assertEquals(4, uuid.version(), id);
            assertEquals(2, uuid.variant(), id);
            assertEquals(id, ForwardedHeaders.saneRequestId(id), "the gateway's own ids pass its own check");
            assertTrue(seen.add(id), "repeated: " + id);
        }
    }
}
