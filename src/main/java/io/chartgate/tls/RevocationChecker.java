package io.chartgate.tls;

import io.chartgate.config.CrlStale;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertPathValidatorException.BasicReason;
import java.security.cert.Certificate;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Collection;
import java.util.List;
import java.util.Set;

/**
 * Checks each certificate of a client's path against the configured CRLs, inside PKIX validation, so a
 * revoked certificate is refused in the handshake. A CA without a CRL is not checked (CRLs are optional per
 * CA); a CRL past its {@code nextUpdate} refuses what it covers when {@code crlStale} is {@code reject}.
 * The CRLs were verified against their CA's key when {@link TlsMaterial} loaded them.
 */
final class RevocationChecker extends java.security.cert.PKIXCertPathChecker {

    private final List<X509CRL> crls;
    private final CrlStale stale;
    private final Clock clock;

    RevocationChecker(List<X509CRL> crls, CrlStale stale, Clock clock) {
        this.crls = List.copyOf(crls);
        this.stale = stale;
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
        X509Certificate cert = (X509Certificate) certificate;
        for (X509CRL crl : crls) {
            if (!crl.getIssuerX500Principal().equals(cert.getIssuerX500Principal())) {
                continue;
            }
            if (stale == CrlStale.REJECT && crl.getNextUpdate() != null
                    && crl.getNextUpdate().toInstant().isBefore(clock.instant())) {
                throw new CertPathValidatorException("CRL for " + crl.getIssuerX500Principal().getName() + " expired at "
                        + crl.getNextUpdate().toInstant(), null, null, -1, BasicReason.UNDETERMINED_REVOCATION_STATUS);
            }
            if (crl.isRevoked(cert)) {
                throw new CertPathValidatorException("certificate " + Certificates.describe(cert) + " is revoked",
                        null, null, -1, BasicReason.REVOKED);
            }
        }
    }

    @Override
    public RevocationChecker clone() {
        return (RevocationChecker) super.clone();
    }
}
