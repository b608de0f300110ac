package io.chartgate.tls;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;
import javax.net.ssl.CertPathTrustManagerParameters;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The handshake's trust manager, judging every client certificate under the {@link ClientTrust} in force: the one
 * the gateway's current state holds, read at each handshake. A reload that swaps the state thereby changes what
 * handshakes and requests are judged by in the same step, on every event loop; the TLS context itself only carries
 * the server's key and the CA names the CertificateRequest advertises ({@link #advertise}).
 */
public final class TrustSwitch extends ClientOnlyTrustManager {

    private final Supplier<ClientTrust> inForce;
    private final Clock clock;
    private final Consumer<HandshakeRejection> rejections;
    private volatile Built built;
    private volatile ClientTrust advertised;

    /** A trust and the PKIX trust manager built for it, so a trust is built once, not per handshake. */
    private record Built(ClientTrust trust, ObservingTrustManager manager) {
    }

    /**
     * @param inForce the trust in force now (the gateway's current state's)
     * @param rejections told of every client certificate a handshake refuses
     */
    public TrustSwitch(Supplier<ClientTrust> inForce, Clock clock, Consumer<HandshakeRejection> rejections) {
        this.inForce = inForce;
        this.clock = clock;
        this.rejections = rejections;
        this.advertised = inForce.get();
    }

    /**
     * The trust whose CA names the next TLS context advertises: a reload names its new trust before it builds the
     * context, and names the old one again when that fails.
     */
    public void advertise(ClientTrust trust) {
        advertised = trust;
    }

    private ObservingTrustManager current() {
        ClientTrust trust = inForce.get();
        Built b = built;
        if (b == null || b.trust() != trust) {
            // two handshakes racing here both build it: harmless, the same trust gives the same answers
            b = new Built(trust, build(trust));
            built = b;
        }
        return b.manager();
    }

    private ObservingTrustManager build(ClientTrust trust) {
        try {
            PKIXBuilderParameters params = new PKIXBuilderParameters(trust.trustAnchors(), new X509CertSelector());
            // the configured intermediates link a client that sends only its own certificate
            params.addCertStore(trust.intermediateStore());
            // Revocation is ours: the JDK's own checking would demand a CRL for every CA.
            params.setRevocationEnabled(false);
            params.addCertPathChecker(new RevocationChecker(trust, clock));
            TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
            factory.init(new CertPathTrustManagerParameters(params));
            for (TrustManager tm : factory.getTrustManagers()) {
                if (tm instanceof X509ExtendedTrustManager pkix) {
                    return new ObservingTrustManager(pkix, acceptedIssuers(trust), rejections);
                }
            }
            throw new IllegalStateException("the PKIX trust manager factory made no X509 trust manager");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot build the client-certificate trust manager", e);
        }
    }

    /**
     * The names the CertificateRequest lists: the anchors and the configured intermediates, so a client whose
     * certificate file holds only its own certificate (issued by an intermediate) still offers it.
     */
    private static X509Certificate[] acceptedIssuers(ClientTrust trust) {
        List<X509Certificate> issuers = new ArrayList<>(trust.anchors());
        issuers.addAll(trust.intermediates());
        return issuers.toArray(new X509Certificate[0]);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        current().checkClientTrusted(chain, authType, engine);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        current().checkClientTrusted(chain, authType, socket);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        current().checkClientTrusted(chain, authType);
    }



    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return acceptedIssuers(advertised);
    }
}
