package io.chartgate.proxy;

import io.vertx.core.http.HttpConnection;
import java.util.Collections;
import java.util.Set;
import java.util.WeakHashMap;

/**
 * Connections the gateway has decided to close after an error. Vert.x dispatches the next pipelined request
 * as soon as a response ends, before the connection can be closed; requests that arrive on a closing
 * connection (a smuggled request hidden in a body, say) are dropped, never forwarded.
 *
 * <p>One per event loop, touched only on it (a connection lives on one loop): every request asks it, and a set
 * shared by the loops was a lock every request of every loop took.
 */
public final class ClosingConnections {

    private final Set<HttpConnection> closing = Collections.newSetFromMap(new WeakHashMap<>());

    void mark(HttpConnection connection) {
        closing.add(connection);
    }

    boolean isClosing(HttpConnection connection) {
        return closing.contains(connection);
    }
}
