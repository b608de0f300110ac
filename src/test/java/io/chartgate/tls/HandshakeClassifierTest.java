package io.chartgate.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.chartgate.metrics.HandshakeResult;
import java.io.IOException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

class HandshakeClassifierTest {

    @Test
    void connectionFailuresAreReadFromTheTlsStacksWords() {
        assertEquals(HandshakeResult.NO_CERTIFICATE,
                HandshakeClassifier.ofConnectionFailure(new SSLHandshakeException("error:PEER_DID_NOT_RETURN_A_CERTIFICATE")));
        assertEquals(HandshakeResult.NO_CERTIFICATE,
                HandshakeClassifier.ofConnectionFailure(new SSLHandshakeException("Empty client certificate chain")));
        assertEquals(HandshakeResult.PROTOCOL,
                HandshakeClassifier.ofConnectionFailure(new SSLHandshakeException("error:UNSUPPORTED_PROTOCOL")));
        assertEquals(HandshakeResult.OTHER, HandshakeClassifier.ofConnectionFailure(new SSLHandshakeException("odd")));
        assertEquals(HandshakeResult.OTHER, HandshakeClassifier.ofConnectionFailure(
                new IOException("wrapped", new SSLHandshakeException("odd"))));
    }

    @Test
    void aRefusedCertificateWasCountedByTheTrustManagerAndAnythingElseIsNoHandshakeFailure() {
        SSLHandshakeException refused = new SSLHandshakeException("certificate refused");
        refused.initCause(new CertificateException("revoked"));
        assertNull(HandshakeClassifier.ofConnectionFailure(refused));
        assertNull(HandshakeClassifier.ofConnectionFailure(new IOException("Connection reset by peer")));
    }

    @Test
    void validationFailuresAreReadFromTheirCauses() {
        assertEquals(HandshakeResult.EXPIRED, HandshakeClassifier.ofValidation(
                new CertificateException("x", new CertificateExpiredException("old"))));
        assertEquals(HandshakeResult.REVOKED, HandshakeClassifier.ofValidation(new CertificateException("x",
                new CertPathValidatorException("r", null, null, -1, CertPathValidatorException.BasicReason.REVOKED))));
        assertEquals(HandshakeResult.OTHER, HandshakeClassifier.ofValidation(new CertificateException("x")));
        assertEquals("not_yet_valid", HandshakeResult.NOT_YET_VALID.label());
    }
}
