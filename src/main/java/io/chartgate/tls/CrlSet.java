package io.chartgate.tls;

import io.chartgate.config.CrlStale;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;

/**
 * The configured CRLs and what to do when one is stale: answers whether a certificate is refused, in the
 * handshake ({@link RevocationChecker}) and again on every request of an open connection (so a revocation
 * takes effect without waiting for the connection to close). A CA without a CRL is not checked.
 */
public final class CrlSet {

    /** Why a certificate is refused: revoked, or covered by a stale CRL under {@code crlStale: reject}. */
    public record Refusal(boolean revoked, String reason) {
    }

    private final List<X509CRL> crls;
    private final CrlStale stale;

    public CrlSet(List<X509CRL> crls, CrlStale stale) {
        this.crls = List.copyOf(crls);
        this.stale = stale;
    }

    /** Null when no CRL refuses {@code certificate} at {@code now}. */
    public Refusal refusal(X509Certificate certificate, Instant now) {
        for (X509CRL crl : crls) {
            if (!crl.getIssuerX500Principal().equals(certificate.getIssuerX500Principal())) {
                continue;
            }
            if (stale == CrlStale.REJECT && crl.getNextUpdate() != null && crl.getNextUpdate().toInstant().isBefore(now)) {
                return new Refusal(false, "CRL for " + crl.getIssuerX500Principal().getName() + " expired at "
                        + crl.getNextUpdate().toInstant());
            }
            if (crl.isRevoked(certificate)) {
                return new Refusal(true, "certificate " + Certificates.describe(certificate) + " is revoked");
            }
        }
        return null;
    }
}
