package io.chartgate.tls;

import io.chartgate.config.CrlStale;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.cert.CertPathBuilder;
import java.security.cert.CertStore;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.PKIXCertPathBuilderResult;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CRL;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Whom client certificates must chain to, and what is checked again on every request of an open connection.
 *
 * <ul>
 *   <li>The <b>anchors</b> are the CAs of {@code clientCaFile} (except those issued by another configured CA,
 *       which are intermediates): the only certificates trusted for themselves.</li>
 *   <li>The <b>intermediates</b> ({@code intermediateCaFile}, and those CAs) may link a client's certificate
 *       to an anchor, as may the intermediates the client sends; they are never trusted for themselves.</li>
 *   <li>Every certificate of a verified chain, intermediates included, is checked against the CRL its verified
 *       issuer signed.</li>
 * </ul>
 * A policy's {@code issuer} and {@code issuerFingerprint} name the anchor at the root of the verified chain.
 */
public final class ClientTrust {

    /** Why a client certificate is refused on a request: the handshake passed, the trust in force now says no. */
    public record Refusal(Reason reason, String message) {
    }

    public enum Reason {
        /** A certificate of the chain is past its notAfter. */
        EXPIRED,
        /** A certificate of the chain is on its issuer's CRL. */
        REVOKED,
        /** Anything else: no chain to a trusted CA, a stale CRL under {@code crlStale: reject}, not yet valid. */
        UNTRUSTED
    }

    /**
     * A client's certificate with the path PKIX validation found for it.
     *
     * @param path the client's certificate first, then each intermediate up to the one the anchor signed
     * @param anchor the configured CA at the root
     */
    public record VerifiedChain(List<X509Certificate> path, X509Certificate anchor) {

        public VerifiedChain {
            path = List.copyOf(path);
        }

        public X509Certificate leaf() {
            return path.get(0);
        }

        /** The certificate whose key signed {@code path.get(i)}. */
        X509Certificate issuerOf(int i) {
            return i + 1 < path.size() ? path.get(i + 1) : anchor;
        }
    }

    /** The outcome of {@link #verify}: a chain, or why there is none. Exactly one is non-null. */
    public record Verification(VerifiedChain chain, Refusal refusal) {
    }

    /** Chains clients sent that were found to hold at most this many are kept with their paths. */
    static final int MAX_BUILT = 1024;

    /**
     * The path found for each chain a client sent (a PKIX build, about a sixth of the CPU of a new connection):
     * under this trust, which a reload replaces whole, only time can change the answer, and {@link #recheck} asks it.
     */
    private final Map<List<X509Certificate>, VerifiedChain> built = new java.util.concurrent.ConcurrentHashMap<>();
    private final List<X509Certificate> anchors;
    private final List<X509Certificate> intermediates;
    private final CrlSet crls;
    private final Set<TrustAnchor> trustAnchors;
    private final CertStore intermediateStore;

    public ClientTrust(List<X509Certificate> anchors, List<X509Certificate> intermediates, CrlSet crls) {
        this.anchors = List.copyOf(anchors);
        this.intermediates = List.copyOf(intermediates);
        this.crls = crls;
        Set<TrustAnchor> set = new HashSet<>();
        for (X509Certificate anchor : this.anchors) {
            set.add(new TrustAnchor(anchor, null));
        }
        this.trustAnchors = Set.copyOf(set);
        this.intermediateStore = store(this.intermediates);
    }

    /** The trust {@code material} describes, with its CRLs handled as {@code stale} says. */
    public static ClientTrust of(TlsMaterial material, CrlStale stale) {
        return of(material.clientCas(), material.intermediates(), material.crls(), stale);
    }

    static ClientTrust of(List<X509Certificate> anchors, List<X509Certificate> intermediates, List<X509CRL> crls,
            CrlStale stale) {
        List<X509Certificate> cas = new ArrayList<>(anchors);
        cas.addAll(intermediates);
        return new ClientTrust(anchors, intermediates, new CrlSet(crls, cas, stale));
    }

    public List<X509Certificate> anchors() {
        return anchors;
    }

    public List<X509Certificate> intermediates() {
        return intermediates;
    }

    Set<TrustAnchor> trustAnchors() {
        return trustAnchors;
    }

    /** The configured intermediates, as a store PKIX path building may draw from. */
    CertStore intermediateStore() {
        return intermediateStore;
    }

    CrlSet crls() {
        return crls;
    }

    /**
     * The anchor that signed {@code certificate}, which PKIX validation has already linked to one: the anchor of
     * that name, or when several share it, the one whose key verifies the signature. Null when none does.
     */
    X509Certificate anchorOf(X509Certificate certificate) {
        X509Certificate only = null;
        int named = 0;
        for (X509Certificate anchor : anchors) {
            if (anchor.getSubjectX500Principal().equals(certificate.getIssuerX500Principal())) {
                only = anchor;
                named++;
            }
        }
        return named <= 1 ? only : Certificates.issuer(certificate, anchors);
    }

    /**
     * Finds the path from {@code sent} (the client's certificate, then whatever it sent along) to an anchor, as
     * the handshake did, under this trust and at {@code now}, then checks it as {@link #recheck} does.
     */
    public Verification verify(List<X509Certificate> sent, Instant now) {
        X509Certificate leaf = sent.get(0);
        if (now.isAfter(leaf.getNotAfter().toInstant())) {
            return refused(Reason.EXPIRED, "the certificate " + Certificates.describe(leaf) + " expired at "
                    + leaf.getNotAfter().toInstant());
        }
        List<X509Certificate> key = List.copyOf(sent);
        VerifiedChain known = built.get(key);
        if (known != null) {
            // a client that connects again sends the same chain: the path found for it holds while nothing time
            // changes refuses it; when something does, the path is looked for again (another may hold now)
            if (recheck(known, now) == null) {
                return new Verification(known, null);
            }
            built.remove(key);
        }
        PKIXCertPathBuilderResult result;
        try {
            X509CertSelector target = new X509CertSelector();
            target.setCertificate(leaf);
            PKIXBuilderParameters params = new PKIXBuilderParameters(trustAnchors, target);
            params.setRevocationEnabled(false);
            params.setDate(Date.from(now));
            params.addCertStore(intermediateStore);
            params.addCertStore(store(sent));
            result = (PKIXCertPathBuilderResult) CertPathBuilder.getInstance("PKIX").build(params);
        } catch (GeneralSecurityException e) {
            for (X509Certificate cert : sent) {
                if (now.isAfter(cert.getNotAfter().toInstant())) {
                    return refused(Reason.EXPIRED, "the CA certificate " + Certificates.describe(cert)
                            + " in the chain expired at " + cert.getNotAfter().toInstant());
                }
            }
            return refused(Reason.UNTRUSTED, "the certificate " + Certificates.describe(leaf)
                    + " does not chain to a trusted client CA");
        }
        List<X509Certificate> path = new ArrayList<>();
        result.getCertPath().getCertificates().forEach(c -> path.add((X509Certificate) c));
        VerifiedChain chain = new VerifiedChain(path, result.getTrustAnchor().getTrustedCert());
        Refusal refusal = recheck(chain, now);
        if (refusal == null) {
            if (built.size() >= MAX_BUILT) {
                built.clear(); // a bound, not an eviction policy: the paths are found again as clients come back
            }
            built.put(key, chain);
            return new Verification(chain, null);
        }
        return new Verification(null, refusal);
    }

    /**
     * What the handshake checked that time alone can change, for a chain {@link #verify} found under this same
     * trust: every certificate's dates, and the CRLs. Null when the chain still holds.
     */
    public Refusal recheck(VerifiedChain chain, Instant now) {
        List<X509Certificate> path = chain.path();
        for (int i = 0; i < path.size(); i++) {
            X509Certificate cert = path.get(i);
            String which = i == 0 ? "the certificate " : "the CA certificate ";
            if (now.isAfter(cert.getNotAfter().toInstant())) {
                return new Refusal(Reason.EXPIRED, which + Certificates.describe(cert) + " expired at "
                        + cert.getNotAfter().toInstant());
            }
            if (now.isBefore(cert.getNotBefore().toInstant())) {
                return new Refusal(Reason.UNTRUSTED, which + Certificates.describe(cert) + " is not valid before "
                        + cert.getNotBefore().toInstant());
            }
            CrlSet.Refusal revoked = crls.refusal(cert, chain.issuerOf(i), now);
            if (revoked != null) {
                return new Refusal(revoked.revoked() ? Reason.REVOKED : Reason.UNTRUSTED, revoked.reason());
            }
        }
        return null;
    }

    private static Verification refused(Reason reason, String message) {
        return new Verification(null, new Refusal(reason, message));
    }

    private static CertStore store(List<X509Certificate> certificates) {
        try {
            return CertStore.getInstance("Collection", new CollectionCertStoreParameters(certificates));
        } catch (InvalidAlgorithmParameterException | java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no Collection certificate store", e);
        }
    }
}
