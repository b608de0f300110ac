package io.chartgate.decision;

import io.chartgate.identity.ClientIdentity;
import io.chartgate.tls.ClientTrust;
import java.time.Instant;

/**
 * One request as the decision sees it: who asks (the identity, and its chain as verified under the trust in
 * force), what it asks (method and target as sent), how its body is framed, and when.
 *
 * @param verification the client's chain as the trust in force verified it, or why it did not hold; null for an
 *     anonymous client
 * @param target the request target as sent, query included ({@code /charts/a%20b.tgz?x=1})
 */
public record Ask(ClientIdentity identity, ClientTrust.Verification verification, String method, String target,
        Framing framing, Instant now) {
}
