package io.chartgate.tls;

import io.chartgate.config.CrlStale;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The configured CRLs and what to do when one is stale: answers whether a certificate is refused, in the
 * handshake ({@link RevocationChecker}) and again on every request of an open connection (so a revocation
 * takes effect without waiting for the connection to close). A CA without a CRL is not checked.
 *
 * <p>A CRL applies to a certificate when it was signed by the key of the certificate's verified issuer, never
 * merely because its issuer's name is the certificate's issuer name (a rogue CA can copy a name, not a key).
 */
public final class CrlSet {

    /** Why a certificate is refused: revoked, or covered by a stale CRL under {@code crlStale: reject}. */
    public record Refusal(boolean revoked, String reason) {
    }

    /** A CRL and the encoded key that signed it (checked when the set was built). */
    private record Signed(X509CRL crl, byte[] signer) {
    }

    private final List<Signed> crls;
    private final CrlStale stale;

    /**
     * @param cas the CAs whose CRLs count; a CRL none of them signed is left out ({@link TlsMaterial} refuses
     *     such a file before it gets here)
     */
    public CrlSet(List<X509CRL> crls, List<X509Certificate> cas, CrlStale stale) {
        List<Signed> signed = new ArrayList<>();
        for (X509CRL crl : crls) {
            X509Certificate signer = Certificates.crlIssuer(crl, cas);
            if (signer != null) {
                signed.add(new Signed(crl, signer.getPublicKey().getEncoded()));
            }
        }
        this.crls = List.copyOf(signed);
        this.stale = stale;
    }

    /**
     * Null when the CRL of {@code issuer} (the CA whose key signed {@code certificate}) does not refuse it at
     * {@code now}. When several CRLs of that CA are known (a file and a fetched one), the newest (latest
     * {@code thisUpdate}) is the one that counts.
     */
    public Refusal refusal(X509Certificate certificate, X509Certificate issuer, Instant now) {
        X509CRL newest = null;
        byte[] issuerKey = null;
        for (Signed entry : crls) {
            X509CRL crl = entry.crl();
            if (!crl.getIssuerX500Principal().equals(certificate.getIssuerX500Principal())) {
                continue;
            }
            if (issuerKey == null) {
                issuerKey = issuer.getPublicKey().getEncoded();
            }
            if (Arrays.equals(entry.signer(), issuerKey)
                    && (newest == null || crl.getThisUpdate().after(newest.getThisUpdate()))) {
                newest = crl;
            }
        }
        if (newest == null) {
            return null;
        }
        if (stale == CrlStale.REJECT && newest.getNextUpdate() != null && newest.getNextUpdate().toInstant().isBefore(now)) {
            return new Refusal(false, "CRL for " + newest.getIssuerX500Principal().getName() + " expired at "
                    + newest.getNextUpdate().toInstant());
        }
        if (newest.isRevoked(certificate)) {
            return new Refusal(true, "certificate " + Certificates.describe(certificate) + " is revoked");
        }
        return null;
    }
}
