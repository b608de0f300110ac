package io.chartgate.proxy;

import io.chartgate.identity.ClientIdentity;
import io.chartgate.metrics.RecentActivity;
import java.time.Instant;

/**
 * Records a finished exchange for the status page: its principal, and the exchange itself when the gateway
 * refused it for who sent it (a policy denial, or a 401/403 before the policy ran: a certificate required,
 * revoked or expired). Only the canonical path is recorded, never the query string, which may hold a token or a
 * presigned signature; a refusal before the path was made canonical is not a denial and is not recorded as one.
 */
final class StatusRecording {

    private StatusRecording() {
    }

    static void record(RecentActivity recent, Exchange exchange, int status) {
        ClientIdentity identity = exchange.identity;
        long now = System.currentTimeMillis();
        String subject = identity.isAnonymous() ? null : identity.subject().rfc4514();
        String outcome = exchange.outcome().label();
        recent.request(identity.principal(), subject, identity.notAfter(), outcome, status, now);
        boolean denied = exchange.decision != null && !exchange.decision.allowed();
        boolean refused = exchange.decision == null && (status == 401 || status == 403);
        if ((denied || refused) && exchange.path != null) {
            recent.denial(new RecentActivity.Denial(Instant.ofEpochMilli(now), identity.principal(), subject,
                    exchange.request.method().name(), exchange.path.path(), status, exchange.decision == null ? null
                            : exchange.decision.rule(),
                    denied ? exchange.decision.reason() : exchange.request.response().getStatusMessage()));
        }
    }
}
