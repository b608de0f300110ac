package io.chartgate.upstream;

import io.vertx.core.MultiMap;
import java.util.Set;

/**
 * Headers that belong to one connection and are never forwarded (RFC 9110 7.6.1), plus every header a
 * {@code Connection} header names.
 */
public final class HopByHop {

    public static final Set<String> HEADERS = Set.of("connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
            "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade");

    private HopByHop() {
    }

    /** Removes the hop-by-hop headers and those named in {@code Connection} from {@code headers}. */
    public static void strip(MultiMap headers) {
        for (String connection : headers.getAll("connection")) {
            for (String name : connection.split(",")) {
                String n = name.trim();
                if (!n.isEmpty()) {
                    headers.remove(n);
                }
            }
        }
        for (String name : HEADERS) {
            headers.remove(name);
        }
    }
}
