package io.chartgate.fuzz;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.chartgate.policy.CanonicalPath;
import io.chartgate.policy.OciRequest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;

/**
 * An OCI request as a client sends it: the first byte picks the method, the rest is the request target. Parsing
 * never throws; a parsed request names a repository of the grammar (or none, for the registry-wide endpoints);
 * a refusal carries an OCI code; a mount's sources are what a {@code from} said, and the query kept when a mount
 * is dropped holds no {@code mount} or {@code from} a registry would read.
 */
class OciRequestFuzzTest {

    private static final List<String> METHODS = List.of("GET", "HEAD", "PUT", "POST", "PATCH", "DELETE", "OPTIONS");
    private static final Set<OciRequest.Endpoint> REGISTRY_WIDE = Set.of(OciRequest.Endpoint.PING,
            OciRequest.Endpoint.CATALOG, OciRequest.Endpoint.INDEX);

    @FuzzTest(maxDuration = "10m")
    void parse(byte[] input) {
        if (input.length == 0) {
            return;
        }
        String method = METHODS.get((input[0] & 0xff) % METHODS.size());
        String target = new String(input, 1, input.length - 1, StandardCharsets.ISO_8859_1);
        OciRequest.rawPathProblem(target);
        CanonicalPath.Result canonical = CanonicalPath.parse(target);
        if (canonical instanceof CanonicalPath.Canonical ok) {
            OciRequest.Result result = OciRequest.parse(method, ok.path());
            assertNotNull(result);
            if (result instanceof OciRequest.Refused refused) {
                assertFalse(refused.code() == null || refused.code().isBlank(), "a refusal has an OCI code");
                assertTrue(refused.status() >= 400 && refused.status() < 500, () -> "status " + refused.status());
            } else {
                OciRequest request = ((OciRequest.Parsed) result).request();
                if (request.repository() != null) {
                    assertTrue(OciRequest.isName(request.repository()), () -> "not a name: " + request.repository());
                    assertTrue(request.policyPath().path().startsWith("/v2/"), () -> request.policyPath().path());
                } else {
                    assertTrue(REGISTRY_WIDE.contains(request.endpoint()) || request.endpoint() == OciRequest.Endpoint.INDEX,
                            () -> request.endpoint() + " without a repository for " + target);
                }
                if (!REGISTRY_WIDE.contains(request.endpoint())) {
                    assertNotNull(request.access(), () -> "no access for " + request.endpoint());
                }
            }
        }
        int q = target.indexOf('?');
        OciRequest.Mount mount = OciRequest.mount(q < 0 ? null : target.substring(q + 1));
        if (mount != null && mount.withoutMount() != null) {
            for (String pair : mount.withoutMount().split("&", -1)) {
                int eq = pair.indexOf('=');
                String key = goUnescape(eq < 0 ? pair : pair.substring(0, eq));
                assertFalse("mount".equals(key) || "from".equals(key), () -> "a " + key + " left in " + mount.withoutMount());
            }
        }
    }

    /** Go's QueryUnescape, as the registry reads a query key; null when malformed (Go then skips the pair). */
    private static String goUnescape(String s) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '+') {
                out.write(' ');
            } else if (c == '%') {
                if (i + 2 >= s.length() || Character.digit(s.charAt(i + 1), 16) < 0 || Character.digit(s.charAt(i + 2), 16) < 0) {
                    return null;
                }
                out.write(Character.digit(s.charAt(i + 1), 16) << 4 | Character.digit(s.charAt(i + 2), 16));
                i += 2;
            } else {
                out.write((byte) c);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
