package io.chartgate.tls;

import io.chartgate.metrics.HandshakeResult;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.PKIXReason;
import java.util.Locale;
import javax.net.ssl.SSLHandshakeException;

/** Why a TLS handshake failed, read from what the TLS stack threw, in the words of the handshake metric. */
public final class HandshakeClassifier {

    private HandshakeClassifier() {
    }

    /** A refused client certificate, by the validation failure's cause chain. */
    public static HandshakeResult ofValidation(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof CertificateExpiredException) {
                return HandshakeResult.EXPIRED;
            }
            if (t instanceof CertificateNotYetValidException) {
                return HandshakeResult.NOT_YET_VALID;
            }
            if (t instanceof CertPathValidatorException e) {
                var r = e.getReason();
                if (r == CertPathValidatorException.BasicReason.REVOKED) {
                    return HandshakeResult.REVOKED;
                }
                if (r == CertPathValidatorException.BasicReason.EXPIRED) {
                    return HandshakeResult.EXPIRED;
                }
                if (r == CertPathValidatorException.BasicReason.NOT_YET_VALID) {
                    return HandshakeResult.NOT_YET_VALID;
                }
                if (r == CertPathValidatorException.BasicReason.UNDETERMINED_REVOCATION_STATUS) {
                    // a stale CRL under crlStale: reject; the detail names the CRL
                    return HandshakeResult.OTHER;
                }
                if (r == PKIXReason.NO_TRUST_ANCHOR || r == CertPathValidatorException.BasicReason.INVALID_SIGNATURE) {
                    return HandshakeResult.UNKNOWN_CA;
                }
            }
            if (t instanceof java.security.cert.CertPathBuilderException) {
                return HandshakeResult.UNKNOWN_CA;
            }
        }
        return HandshakeResult.OTHER;
    }

    /**
     * A connection that failed in its handshake, by the exception the server reported; null when it is not a
     * handshake failure, or when the trust manager already reported it (a refused certificate, see
     * {@link ObservingTrustManager}).
     */
    public static HandshakeResult ofConnectionFailure(Throwable failure) {
        if (!(failure instanceof SSLHandshakeException) && !(failure.getCause() instanceof SSLHandshakeException)) {
            return null;
        }
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof java.security.cert.CertificateException) {
                return null;
            }
        }
        String message = String.valueOf(failure.getMessage()).toLowerCase(Locale.ROOT);
        if (message.contains("empty client certificate chain") || message.contains("null cert chain")
                || message.contains("peer_did_not_return_a_certificate") || message.contains("certificate_required")) {
            return HandshakeResult.NO_CERTIFICATE;
        }
        if (message.contains("protocol") || message.contains("cipher") || message.contains("unsupported")) {
            return HandshakeResult.PROTOCOL;
        }
        return HandshakeResult.OTHER;
    }
}
