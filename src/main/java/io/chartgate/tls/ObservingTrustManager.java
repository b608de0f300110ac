package io.chartgate.tls;

import io.chartgate.metrics.HandshakeResult;
import io.netty.handler.ssl.OpenSslCertificateException;
import io.netty.internal.tcnative.CertificateVerifier;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.function.Consumer;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Delegates client-certificate validation to the PKIX trust manager and tells a listener about every
 * certificate it refuses (with the peer's address), so a refused handshake can be logged and counted with
 * the presented subject and fingerprint. Server certificates are never checked here.
 */
final class ObservingTrustManager extends ClientOnlyTrustManager {

    private final X509ExtendedTrustManager delegate;
    private final X509Certificate[] acceptedIssuers;
    private final Consumer<HandshakeRejection> listener;

    ObservingTrustManager(X509ExtendedTrustManager delegate, X509Certificate[] acceptedIssuers,
            Consumer<HandshakeRejection> listener) {
        this.delegate = delegate;
        this.acceptedIssuers = acceptedIssuers.clone();
        this.listener = listener;
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        try {
            delegate.checkClientTrusted(chain, authType, engine);
        } catch (CertificateException e) {
            String remote = engine == null || engine.getPeerHost() == null ? null : engine.getPeerHost() + ":" + engine.getPeerPort();
            throw report(remote, chain, e);
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        try {
            delegate.checkClientTrusted(chain, authType, socket);
        } catch (CertificateException e) {
            throw report(socket == null ? null : String.valueOf(socket.getRemoteSocketAddress()), chain, e);
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        try {
            delegate.checkClientTrusted(chain, authType);
        } catch (CertificateException e) {
            throw report(null, chain, e);
        }
    }

    /**
     * Tells the listener, and returns the exception to throw: one carrying the OpenSSL verify error that makes
     * BoringSSL send the matching alert (helm then prints "revoked certificate", "expired certificate" or
     * "unknown certificate authority"). The JDK engine ignores the code and sends certificate_unknown.
     */
    private CertificateException report(String remote, X509Certificate[] chain, CertificateException e) {
        HandshakeResult reason = HandshakeClassifier.ofValidation(e);
        listener.accept(new HandshakeRejection(remote, chain.length == 0 ? null : chain[0], reason, e.getMessage()));
        if (TlsEngines.current().inUse() == io.chartgate.config.TlsEngine.JDK) {
            // netty-tcnative is not loaded: its verify codes cannot be read, and the JDK's engine would ignore them
            return e;
        }
        int code = switch (reason) {
            case REVOKED -> CertificateVerifier.X509_V_ERR_CERT_REVOKED;
            case EXPIRED -> CertificateVerifier.X509_V_ERR_CERT_HAS_EXPIRED;
            case NOT_YET_VALID -> CertificateVerifier.X509_V_ERR_CERT_NOT_YET_VALID;
            case UNKNOWN_CA -> CertificateVerifier.X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY;
            case OK, NO_CERTIFICATE, PROTOCOL, OTHER -> CertificateVerifier.X509_V_ERR_CERT_REJECTED;
        };
        OpenSslCertificateException mapped = new OpenSslCertificateException(e.getMessage(), code);
        mapped.initCause(e);
        return mapped;
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return acceptedIssuers.clone();
    }
}
