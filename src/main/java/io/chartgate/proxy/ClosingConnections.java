package io.chartgate.proxy;

import io.vertx.core.http.HttpConnection;
import java.util.Collections;
import java.util.Set;
import java.util.WeakHashMap;

/**
 * Connections the gateway has decided to close after an error. Vert.x dispatches the next pipelined request
 * as soon as a response ends, before the connection can be closed; requests that arrive on a closing
 * connection (a smuggled request hidden in a body, say) are dropped, never forwarded.
 */
public final class ClosingConnections {

    private final Set<HttpConnection> closing = Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));

    void mark(HttpConnection connection) {
        closing.add(connection);
    }

    boolean isClosing(HttpConnection connection) {
        return closing.contains(connection);
    }
}
