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
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Supplier;
import javax.net.ssl.CertPathTrustManagerParameters;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The handshake's trust manager, judging every client certificate under the {@link ClientTrust} in force: the one
 * the gateway's current state holds, read at each handshake. A reload that swaps the state thereby changes what
 * handshakes and requests are judged by in the same step, on every event loop; the TLS context itself only carries
 * the server's key and the CA names the CertificateRequest advertises ({@link #advertise}).
 *
 * <p>A chain's first handshake under a trust is judged by the JDK's PKIX trust manager (path, signatures, key
 * usage, algorithm constraints, our {@link RevocationChecker}). A chain a client sends again under the same trust,
 * in a handshake of the same TLS version (a client reconnecting), is judged by what only time can change: its kept
 * path's dates and CRLs ({@link ClientTrust#verify}); when that refuses, the full check runs again and gives the
 * refusal its reason. The full check was about a tenth of a new connection's CPU (load-tests row d, JFR).
 */
public final class TrustSwitch extends ClientOnlyTrustManager {

    private final Supplier<ClientTrust> inForce;
    private final Clock clock;
    private final Consumer<HandshakeRejection> rejections;
    private volatile Built built;
    private volatile ClientTrust advertised;

    /** Chains a handshake accepted under one trust that are kept for the next: at most this many. */
    static final int MAX_ACCEPTED = 1024;

    private final LongAdder fullChecks = new LongAdder();

    /**
     * A trust, the PKIX trust manager built for it (once, not per handshake), and the chains its full check
     * accepted.
     */
    private record Built(ClientTrust trust, ObservingTrustManager manager, Set<Accepted> accepted) {
    }

    /**
     * A chain the full check accepted, and the TLS version of that handshake: the algorithm constraints the JDK
     * applies depend on it (the signature schemes of TLS 1.2 and 1.3 differ), so a version judges a chain afresh.
     */
    private record Accepted(String protocol, List<X509Certificate> chain) {
    }

    /** The check one handshake asks of the PKIX trust manager. */
    @FunctionalInterface
    private interface FullCheck {
        void run(ObservingTrustManager manager) throws CertificateException;
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

    private Built current() {
        ClientTrust trust = inForce.get();
        Built b = built;
        if (b == null || b.trust() != trust) {
            // two handshakes racing here both build it: harmless, the same trust gives the same answers
            b = new Built(trust, build(trust), ConcurrentHashMap.newKeySet());
            built = b;
        }
        return b;
    }

    /**
     * Judges {@code chain}: by its kept path when the full check accepted it under this trust in a handshake of the
     * same TLS version before, else fully.
     */
    private void check(X509Certificate[] chain, String protocol, FullCheck full) throws CertificateException {
        Built b = current();
        Accepted key = chain.length == 0 ? null : new Accepted(protocol, List.of(chain));
        if (key != null && b.accepted().contains(key)) {
            if (b.trust().verify(key.chain(), clock.instant()).chain() != null) {
                return;
            }
            // time refuses it now (an expiry, a stale CRL): the full check says so with its own reason
            b.accepted().remove(key);
        }
        fullChecks.increment();
        full.run(b.manager());
        if (key != null && b.trust().verify(key.chain(), clock.instant()).chain() != null) {
            if (b.accepted().size() >= MAX_ACCEPTED) {
                b.accepted().clear(); // a bound, not an eviction policy: the next handshake of each checks fully
            }
            b.accepted().add(key);
        }
    }

    private static String protocol(SSLSession handshake) {
        return handshake == null ? null : handshake.getProtocol();
    }

    /** How many handshakes the PKIX trust manager judged, for tests. */
    long fullChecks() {
        return fullChecks.sum();
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
        check(chain, protocol(engine == null ? null : engine.getHandshakeSession()),
                manager -> manager.checkClientTrusted(chain, authType, engine));
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        check(chain, protocol(socket instanceof SSLSocket ssl ? ssl.getHandshakeSession() : null),
                manager -> manager.checkClientTrusted(chain, authType, socket));
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain, null, manager -> manager.checkClientTrusted(chain, authType));
    }



    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return acceptedIssuers(advertised);
    }
}
