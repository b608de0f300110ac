package io.chartgate.tls;

import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.PKIXReason;
import java.security.cert.X509Certificate;

/**
 * A client certificate refused during the handshake: who presented it, from where, and why, in the
 * vocabulary of {@code chartgate_tls_handshakes_total}'s {@code result} label.
 *
 * @param reason unknown_ca, expired, not_yet_valid, revoked or other (e.g. a stale CRL)
 * @param detail the validator's own words (never a secret)
 */
public record HandshakeRejection(String remote, X509Certificate certificate, String reason, String detail) {

    /** Classifies a validation failure by its cause chain. */
    static String classify(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof CertificateExpiredException) {
                return "expired";
            }
            if (t instanceof CertificateNotYetValidException) {
                return "not_yet_valid";
            }
            if (t instanceof CertPathValidatorException e) {
                var r = e.getReason();
                if (r == CertPathValidatorException.BasicReason.REVOKED) {
                    return "revoked";
                }
                if (r == CertPathValidatorException.BasicReason.EXPIRED) {
                    return "expired";
                }
                if (r == CertPathValidatorException.BasicReason.NOT_YET_VALID) {
                    return "not_yet_valid";
                }
                if (r == CertPathValidatorException.BasicReason.UNDETERMINED_REVOCATION_STATUS) {
                    // a stale CRL under crlStale: reject; the detail names the CRL
                    return "other";
                }
                if (r == PKIXReason.NO_TRUST_ANCHOR || r == CertPathValidatorException.BasicReason.INVALID_SIGNATURE) {
                    return "unknown_ca";
                }
            }
            if (t instanceof java.security.cert.CertPathBuilderException) {
                return "unknown_ca";
            }
        }
        return "other";
    }
}
