package io.chartgate.tls;

import java.security.cert.CertPathValidatorException;
import java.security.cert.CertPathValidatorException.BasicReason;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Collection;
import java.util.Set;

/**
 * Checks each certificate of a client's path against the configured CRLs, inside PKIX validation, so a
 * revoked certificate is refused in the handshake. A CA without a CRL is not checked (CRLs are optional per
 * CA); a CRL past its {@code nextUpdate} refuses what it covers when {@code crlStale} is {@code reject}.
 * The CRLs were verified against their CA's key when {@link TlsMaterial} loaded them.
 */
final class RevocationChecker extends java.security.cert.PKIXCertPathChecker {

    private final CrlSet crls;
    private final Clock clock;

    RevocationChecker(CrlSet crls, Clock clock) {
        this.crls = crls;
        this.clock = clock;
    }

    @Override
    public void init(boolean forward) throws CertPathValidatorException {
        if (forward) {
            throw new CertPathValidatorException("forward checking is not supported");
        }
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
        CrlSet.Refusal refusal = crls.refusal((X509Certificate) certificate, clock.instant());
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
