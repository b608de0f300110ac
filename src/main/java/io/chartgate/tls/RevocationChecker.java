package io.chartgate.tls;

import java.security.cert.CertPathValidatorException;
import java.security.cert.CertPathValidatorException.BasicReason;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Collection;
import java.util.Set;

/**
 * Checks each certificate of a client's path, intermediates included, against the CRL its issuer signed, inside
 * PKIX validation, so a revoked certificate is refused in the handshake. A CA without a CRL is not checked
 * (CRLs are optional per CA); a CRL past its {@code nextUpdate} refuses what it covers when {@code crlStale} is
 * {@code reject}. PKIX hands the path over from the anchor's side, so the issuer of each certificate is the one
 * checked before it (for the first, the anchor that signed it).
 */
final class RevocationChecker extends java.security.cert.PKIXCertPathChecker {

    private final ClientTrust trust;
    private final Clock clock;
    /** The certificate checked last in this validation: the issuer of the next. */
    private X509Certificate previous;

    RevocationChecker(ClientTrust trust, Clock clock) {
        this.trust = trust;
        this.clock = clock;
    }

    @Override
    public void init(boolean forward) throws CertPathValidatorException {
        if (forward) {
            throw new CertPathValidatorException("forward checking is not supported");
        }
        previous = null;
    }

    @Override
    public boolean isForwardCheckingSupported() {
        return false;
    }

    @Override
    public Set<String> getSupportedExtensions() {
        return null;
    }

    @Override
    public void check(Certificate certificate, Collection<String> unresolvedCriticalExtensions) throws CertPathValidatorException {
        X509Certificate cert = (X509Certificate) certificate;
        X509Certificate issuer = previous != null ? previous : trust.anchorOf(cert);
        previous = cert;
        if (issuer == null) {
            return; // PKIX refuses a path no anchor signed
        }
        CrlSet.Refusal refusal = trust.crls().refusal(cert, issuer, clock.instant());
        if (refusal != null) {
            throw new CertPathValidatorException(refusal.reason(), null, null, -1,
                    refusal.revoked() ? BasicReason.REVOKED : BasicReason.UNDETERMINED_REVOCATION_STATUS);
        }
    }

    @Override
    public RevocationChecker clone() {
        return (RevocationChecker) super.clone();
    }
}
