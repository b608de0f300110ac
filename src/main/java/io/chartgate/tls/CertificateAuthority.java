package io.chartgate.tls;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.PKCS8Generator;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A certificate authority made with Bouncy Castle: creates a self-signed CA, issues client and server
 * certificates, and signs CRLs. Used by {@code demo}, the {@code certs} commands and the test PKI.
 */
public final class CertificateAuthority {

    private static final SecureRandom RANDOM = new SecureRandom();

    private final X509Certificate certificate;
    private final PrivateKey key;
    private final KeyType keyType;

    private CertificateAuthority(X509Certificate certificate, PrivateKey key, KeyType keyType) {
        this.certificate = certificate;
        this.key = key;
        this.keyType = keyType;
    }

    /** A new self-signed CA named {@code CN=cn}, valid from an hour ago until {@code notAfter}. */
    public static CertificateAuthority create(String cn, KeyType keyType, Instant notAfter) {
        KeyPair pair = generate(keyType);
        X500Name name = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, cn).build();
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, serial(),
                    Date.from(Instant.now().minusSeconds(3600)), Date.from(notAfter), name, pair.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
            X509Certificate cert = convert(builder.build(signer(keyType, pair.getPrivate())));
            return new CertificateAuthority(cert, pair.getPrivate(), keyType);
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot create a CA certificate", e);
        }
    }

    /**
     * A new intermediate CA named {@code CN=cn}, signed by this one, valid from an hour ago until
     * {@code notAfter}. Nothing stops the name from repeating another CA's: that is what a rogue sub-CA does.
     */
    public CertificateAuthority subordinate(String cn, Instant notAfter) {
        KeyPair pair = generate(keyType);
        X500Name name = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, cn).build();
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(certificate, serial(),
                    Date.from(Instant.now().minusSeconds(3600)), Date.from(notAfter), name, pair.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()))
                    .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(certificate));
            return new CertificateAuthority(convert(builder.build(signer(keyType, key))), pair.getPrivate(), keyType);
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot create an intermediate CA certificate", e);
        }
    }

    /** An existing CA from its certificate and key. */
    public static CertificateAuthority of(X509Certificate certificate, PrivateKey key) {
        KeyType type = key.getAlgorithm().equals("RSA") ? KeyType.RSA_2048 : KeyType.EC_P256;
        return new CertificateAuthority(certificate, key, type);
    }

    public X509Certificate certificate() {
        return certificate;
    }

    public PrivateKey key() {
        return key;
    }

    /** A certificate and the key it was issued for. */
    public record Issued(X509Certificate certificate, PrivateKey key) {

        public String certificatePem() {
            return pem(certificate);
        }

        public String keyPem() {
            return pem(key);
        }
    }

    /** Issues a certificate with a fresh key pair and a random 127-bit serial. */
    public Issued issue(CertificateRequest request) {
        KeyPair pair = generate(request.keyType());
        X500NameBuilder subject = new X500NameBuilder(BCStyle.INSTANCE);
        request.o().forEach(v -> subject.addRDN(BCStyle.O, v));
        request.ou().forEach(v -> subject.addRDN(BCStyle.OU, v));
        if (request.cn() != null) {
            subject.addRDN(BCStyle.CN, request.cn());
        }
        List<GeneralName> sans = new ArrayList<>();
        request.sanDns().forEach(v -> sans.add(new GeneralName(GeneralName.dNSName, v)));
        request.sanIp().forEach(v -> sans.add(new GeneralName(GeneralName.iPAddress, v)));
        request.sanUri().forEach(v -> sans.add(new GeneralName(GeneralName.uniformResourceIdentifier, v)));
        request.sanEmail().forEach(v -> sans.add(new GeneralName(GeneralName.rfc822Name, v)));
        boolean server = request.usage() == CertificateRequest.Usage.SERVER;
        int usage = KeyUsage.digitalSignature | (pair.getPublic().getAlgorithm().equals("RSA") ? KeyUsage.keyEncipherment : 0);
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(certificate, serial(),
                    Date.from(request.notBefore()), Date.from(request.notAfter()), subject.build(), pair.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(usage))
                    .addExtension(Extension.extendedKeyUsage, false,
                            new ExtendedKeyUsage(server ? KeyPurposeId.id_kp_serverAuth : KeyPurposeId.id_kp_clientAuth))
                    .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()))
                    .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(certificate));
            if (!sans.isEmpty()) {
                builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans.toArray(GeneralName[]::new)));
            }
            return new Issued(convert(builder.build(signer(keyType, key))), pair.getPrivate());
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot issue a certificate for " + request.cn(), e);
        }
    }

    /** One revoked certificate: when, and why (an RFC 5280 CRLReason code). */
    public record Revocation(Instant at, int reason) {
    }

    /** A CRL listing {@code revoked} (serial to revocation time), valid from {@code thisUpdate} to {@code nextUpdate}. */
    public X509CRL crl(Map<BigInteger, Instant> revoked, Instant thisUpdate, Instant nextUpdate, BigInteger number) {
        Map<BigInteger, Revocation> entries = new java.util.LinkedHashMap<>();
        revoked.forEach((serial, at) -> entries.put(serial, new Revocation(at, CRLReason.keyCompromise)));
        return crlWithReasons(entries, thisUpdate, nextUpdate, number);
    }

    /** A CRL listing {@code revoked} with their reasons. */
    public X509CRL crlWithReasons(Map<BigInteger, Revocation> revoked, Instant thisUpdate, Instant nextUpdate, BigInteger number) {
        X500Name issuer = X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded());
        X509v2CRLBuilder builder = new X509v2CRLBuilder(issuer, Date.from(thisUpdate));
        builder.setNextUpdate(Date.from(nextUpdate));
        revoked.forEach((serial, r) -> builder.addCRLEntry(serial, Date.from(r.at()), r.reason()));
        try {
            builder.addExtension(Extension.cRLNumber, false, new CRLNumber(number));
            builder.addExtension(Extension.authorityKeyIdentifier, false,
                    new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(certificate));
            return new JcaX509CRLConverter().getCRL(builder.build(signer(keyType, key)));
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot sign a CRL", e);
        }
    }

    /** A private key as encrypted PKCS#8 PEM (AES-256-CBC, PBKDF2), the form OpenSSL 3 writes. */
    public static String encryptedPem(PrivateKey key, char[] password) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(new JcaPKCS8Generator(key, new JceOpenSSLPKCS8EncryptorBuilder(PKCS8Generator.AES_256_CBC)
                    .setProvider(PemLoader.BC).setPassword(password).build()));
        } catch (IOException | OperatorCreationException e) {
            throw new IllegalStateException("cannot encrypt a key", e);
        }
        return out.toString();
    }

    /** PEM text of a certificate, CRL or key (keys as unencrypted PKCS#8, which helm and OpenSSL read). */
    public static String pem(Object object) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            if (object instanceof PrivateKey privateKey) {
                writer.writeObject(new JcaPKCS8Generator(privateKey, null));
            } else {
                writer.writeObject(object);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    private static KeyPair generate(KeyType type) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance(type.algorithm);
            if (type.algorithm.equals("EC")) {
                generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            } else {
                generator.initialize(type.size, RANDOM);
            }
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot generate a " + type + " key", e);
        }
    }

    private static BigInteger serial() {
        return new BigInteger(127, RANDOM).setBit(126);
    }

    private static ContentSigner signer(KeyType type, PrivateKey key) {
        try {
            return new JcaContentSignerBuilder(type.signatureAlgorithm).build(key);
        } catch (OperatorCreationException e) {
            throw new IllegalStateException("cannot sign with " + type.signatureAlgorithm, e);
        }
    }

    private static X509Certificate convert(X509CertificateHolder holder) throws GeneralSecurityException {
        return new JcaX509CertificateConverter().getCertificate(holder);
    }
}
