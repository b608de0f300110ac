package io.chartgate.identity;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import org.bouncycastle.asn1.x500.style.BCStyle;

/**
 * Builds a {@link ClientIdentity} from a client certificate the TLS layer has already verified, and the configured
 * CA its verified chain ends at.
 */
public final class IdentityExtractor {

    private static final int SAN_EMAIL = 1;
    private static final int SAN_DNS = 2;
    private static final int SAN_URI = 6;
    private static final int SAN_IP = 7;

    private IdentityExtractor() {
    }

    /**
     * @param anchor the configured CA at the root of {@code cert}'s verified chain, or null when there is none (then
     *     no {@code issuer} or {@code issuerFingerprint} condition holds)
     */
    public static ClientIdentity fromCertificate(X509Certificate cert, X509Certificate anchor) {
        DistinguishedName subject = DistinguishedName.of(cert.getSubjectX500Principal());
        List<String> cns = subject.values(BCStyle.CN);
        List<String> dns = new ArrayList<>();
        List<String> uri = new ArrayList<>();
        List<String> email = new ArrayList<>();
        List<String> ip = new ArrayList<>();
        try {
            Collection<List<?>> sans = cert.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    int type = (Integer) san.get(0);
                    Object value = san.get(1);
                    if (!(value instanceof String s)) {
                        continue;
                    }
                    switch (type) {
                        case SAN_DNS -> dns.add(s);
                        case SAN_URI -> uri.add(s);
                        case SAN_EMAIL -> email.add(s);
                        case SAN_IP -> ip.add(s);
                        default -> { }
                    }
                }
            }
        } catch (CertificateParsingException e) {
            throw new IllegalArgumentException("the certificate's subject alternative names cannot be parsed", e);
        }
        return new ClientIdentity(subject, cns.isEmpty() ? null : cns.get(cns.size() - 1),
                subject.values(BCStyle.OU), subject.values(BCStyle.O), dns, uri, email, ip,
                fingerprint(cert),
                anchor == null ? new DistinguishedName(List.of(), "") : DistinguishedName.of(anchor.getSubjectX500Principal()),
                anchor == null ? null : fingerprint(anchor),
                cert.getSerialNumber().toString(16), cert.getNotAfter().toInstant());
    }

    /** Lowercase hex SHA-256 of the certificate's DER encoding, no colons. */
    public static String fingerprint(X509Certificate cert) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(cert.getEncoded()));
        } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
            throw new IllegalStateException("cannot fingerprint a certificate", e);
        }
    }
}
