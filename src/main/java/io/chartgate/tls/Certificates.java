package io.chartgate.tls;

import java.security.GeneralSecurityException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;

/** Small facts about certificates that several rooms print or check. */
public final class Certificates {

    private Certificates() {
    }

    /** "CN=bob,O=Acme (serial 1f...)" for messages. */
    public static String describe(X509Certificate cert) {
        return cert.getSubjectX500Principal().getName() + " (serial " + cert.getSerialNumber().toString(16) + ")";
    }

    /** Why {@code cert} is not valid at {@code now}, or null when it is. */
    public static String validityProblem(X509Certificate cert, Instant now) {
        if (now.isAfter(cert.getNotAfter().toInstant())) {
            return "certificate " + describe(cert) + " expired on " + cert.getNotAfter().toInstant();
        }
        if (now.isBefore(cert.getNotBefore().toInstant())) {
            return "certificate " + describe(cert) + " is not valid before " + cert.getNotBefore().toInstant();
        }
        return null;
    }

    /** The CA among {@code cas} that directly signed {@code cert}, or null. */
    public static X509Certificate issuer(X509Certificate cert, List<X509Certificate> cas) {
        for (X509Certificate ca : cas) {
            if (!ca.getSubjectX500Principal().equals(cert.getIssuerX500Principal())) {
                continue;
            }
            try {
                cert.verify(ca.getPublicKey());
                return ca;
            } catch (GeneralSecurityException e) {
                // same name, other key (a rogue CA): keep looking
            }
        }
        return null;
    }

    /** The CA among {@code cas} whose key signed {@code crl}, or null. */
    public static X509Certificate crlIssuer(X509CRL crl, List<X509Certificate> cas) {
        for (X509Certificate ca : cas) {
            if (!ca.getSubjectX500Principal().equals(crl.getIssuerX500Principal())) {
                continue;
            }
            try {
                crl.verify(ca.getPublicKey());
                return ca;
            } catch (GeneralSecurityException e) {
                // same name, other key: keep looking
            }
        }
        return null;
    }
}
