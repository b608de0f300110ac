package io.chartgate.tls;

import io.chartgate.metrics.HandshakeResult;
import java.security.cert.X509Certificate;

/**
 * A client certificate refused during the handshake: who presented it, from where, and why, in the
 * vocabulary of {@code chartgate_tls_handshakes_total}'s {@code result} label.
 *
 * @param reason unknown_ca, expired, not_yet_valid, revoked or other (e.g. a stale CRL); see
 *     {@link HandshakeClassifier#ofValidation}
 * @param detail the validator's own words (never a secret)
 */
public record HandshakeRejection(String remote, X509Certificate certificate, HandshakeResult reason, String detail) {
}
