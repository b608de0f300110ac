package io.chartgate.decision;

import java.util.List;

/**
 * What a request's head says about its body, as far as the decision cares: how it is framed and encoded, and
 * how long it claims to be.
 *
 * @param transferEncodings every {@code Transfer-Encoding} header value, as sent
 * @param contentEncodings every {@code Content-Encoding} header value, as sent
 * @param hasBody whether a body follows the head (a length above zero, or chunked)
 * @param declaredLength the {@code Content-Length}, or -1 (none, or chunked)
 */
public record Framing(List<String> transferEncodings, List<String> contentEncodings, boolean hasBody, long declaredLength) {

    /** A request without a body, as {@code policy explain} pictures one. */
    public static final Framing NONE = new Framing(List.of(), List.of(), false, -1);

    public Framing {
        transferEncodings = List.copyOf(transferEncodings);
        contentEncodings = List.copyOf(contentEncodings);
    }
}
