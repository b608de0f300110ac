package io.chartgate.tls;

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
final class ObservingTrustManager extends X509ExtendedTrustManager {

    private final X509ExtendedTrustManager delegate;
    private final Consumer<HandshakeRejection> listener;

    ObservingTrustManager(X509ExtendedTrustManager delegate, Consumer<HandshakeRejection> listener) {
        this.delegate = delegate;
        this.listener = listener;
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        try {
            delegate.checkClientTrusted(chain, authType, engine);
        } catch (CertificateException e) {
            String remote = engine == null || engine.getPeerHost() == null ? null : engine.getPeerHost() + ":" + engine.getPeerPort();
            report(remote, chain, e);
            throw e;
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        try {
            delegate.checkClientTrusted(chain, authType, socket);
        } catch (CertificateException e) {
            report(socket == null ? null : String.valueOf(socket.getRemoteSocketAddress()), chain, e);
            throw e;
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        try {
            delegate.checkClientTrusted(chain, authType);
        } catch (CertificateException e) {
            report(null, chain, e);
            throw e;
        }
    }

    private void report(String remote, X509Certificate[] chain, CertificateException e) {
        listener.accept(new HandshakeRejection(remote, chain.length == 0 ? null : chain[0], HandshakeRejection.classify(e),
                e.getMessage()));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        throw new CertificateException("this trust manager only checks client certificates");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        throw new CertificateException("this trust manager only checks client certificates");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("this trust manager only checks client certificates");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return delegate.getAcceptedIssuers();
    }
}
