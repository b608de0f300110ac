package io.chartgate.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.chartgate.policy.CanonicalPath;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The request target as it arrives on the request line (each input byte one character, as a request line is
 * read). {@link CanonicalPath#parse} never throws; a canonical path has no '.', '..' or empty segments, and both
 * its upstream target and its encoded path parse again to the same path: what policy judges is what is forwarded.
 */
class CanonicalPathFuzzTest {

    @FuzzTest(maxDuration = "10m")
    void parse(byte[] input) {
        String target = new String(input, StandardCharsets.ISO_8859_1);
        CanonicalPath.Result result = CanonicalPath.parse(target);
        if (result instanceof CanonicalPath.Rejected rejected) {
            assertFalse(rejected.reason() == null || rejected.reason().isBlank(), "a rejection names its reason");
            return;
        }
        CanonicalPath path = assertInstanceOf(CanonicalPath.Canonical.class, result).path();
        String p = path.path();
        assertTrue(p.startsWith("/"), p);
        List<String> segments = new ArrayList<>(List.of(p.substring(1).split("/", -1)));
        if (p.endsWith("/")) {
            segments.remove(segments.size() - 1); // the kept trailing '/'
        }
        for (String segment : segments) {
            assertFalse(segment.isEmpty() || segment.equals(".") || segment.equals(".."), () -> "segment '" + segment + "' in " + p);
            assertFalse(segment.indexOf(';') >= 0, () -> "a ';' in " + p);
        }
        assertEquals(segments, path.segments(), "segments()");
        for (int i = 0; i < p.length(); i++) {
            char c = p.charAt(i);
            assertFalse(c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\\', () -> "control character or backslash in " + p);
        }
        int q = target.indexOf('?');
        assertEquals(q < 0 ? null : target.substring(q + 1), path.rawQuery(), "the query is passed on as sent");

        String encoded = path.encoded();
        for (int i = 0; i < encoded.length(); i++) {
            char c = encoded.charAt(i);
            assertTrue(c > 0x20 && c < 0x7f && c != '?' && c != '#' && c != '\\', () -> "unsafe character in " + encoded);
        }
        // idempotent: what the upstream receives is read as the same path, and so is the encoded path alone
        CanonicalPath again = assertInstanceOf(CanonicalPath.Canonical.class, CanonicalPath.parse(path.encodedTarget()),
                () -> path.encodedTarget() + " (from " + target + ") is refused").path();
        assertEquals(path, again, () -> "re-parsing " + path.encodedTarget());
        assertEquals(encoded, again.encoded(), "encoding is stable");
        CanonicalPath bare = assertInstanceOf(CanonicalPath.Canonical.class, CanonicalPath.parse(encoded)).path();
        assertEquals(p, bare.path());
        // the decoded path itself, where it is a valid target, names the same resource
        if (CanonicalPath.parse(p) instanceof CanonicalPath.Canonical c && p.indexOf('?') < 0) {
            assertEquals(p, c.path().path(), "the canonical path read as a target");
        }
    }
}
