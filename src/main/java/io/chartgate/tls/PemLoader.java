package io.chartgate.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CRLException;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMException;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8DecryptorProviderBuilder;
import org.bouncycastle.openssl.jcajce.JcePEMDecryptorProviderBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.pkcs.PKCSException;

/**
 * Reads certificates, private keys, PKCS#12 stores and CRLs with Bouncy Castle. Keys may be PKCS#1, PKCS#8,
 * SEC1, encrypted PKCS#8 (PBES2, what OpenSSL 3 writes) or legacy {@code Proc-Type/DEK-Info} PEM. Every
 * failure is a {@link TlsException} naming the file and the problem in words a user can act on.
 */
public final class PemLoader {

    /** Bouncy Castle, used for decryption only; keys and certificates come out as the JDK's own types. */
    static final Provider BC = new BouncyCastleProvider();

    private PemLoader() {
    }

    /** Every certificate in a PEM file, in file order (leaf first for a chain). */
    public static List<X509Certificate> certificates(Path file) throws TlsException {
        List<Object> objects = pemObjects(file);
        List<X509Certificate> certs = new ArrayList<>();
        JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
        for (Object o : objects) {
            if (o instanceof X509CertificateHolder holder) {
                try {
                    certs.add(converter.getCertificate(holder));
                } catch (CertificateException e) {
                    throw new TlsException(file, "holds a damaged certificate (" + e.getMessage() + ")", e);
                }
            }
        }
        if (certs.isEmpty()) {
            throw new TlsException(file, describeMissing(objects, "a PEM certificate (BEGIN CERTIFICATE)"));
        }
        return certs;
    }

    /** The private key in a PEM file; {@code password} may be null for an unencrypted key. */
    public static PrivateKey privateKey(Path file, char[] password) throws TlsException {
        List<Object> objects = pemObjects(file);
        JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
        for (Object o : objects) {
            try {
                if (o instanceof PEMKeyPair pair) {
                    return converter.getKeyPair(pair).getPrivate();
                }
                if (o instanceof PrivateKeyInfo info) {
                    return converter.getPrivateKey(info);
                }
                if (o instanceof PEMEncryptedKeyPair encrypted) {
                    requirePassword(file, password);
                    PEMKeyPair pair;
                    try {
                        pair = encrypted.decryptKeyPair(new JcePEMDecryptorProviderBuilder().setProvider(BC).build(password));
                    } catch (IOException e) {
                        throw new TlsException(file, "wrong password (the encrypted key could not be decrypted)");
                    }
                    return converter.getKeyPair(pair).getPrivate();
                }
                if (o instanceof PKCS8EncryptedPrivateKeyInfo encrypted) {
                    requirePassword(file, password);
                    PrivateKeyInfo info;
                    try {
                        info = encrypted.decryptPrivateKeyInfo(
                                new JceOpenSSLPKCS8DecryptorProviderBuilder().setProvider(BC).build(password));
                    } catch (PKCSException | IllegalArgumentException e) {
                        throw new TlsException(file, "wrong password (the encrypted key could not be decrypted)");
                    } catch (OperatorCreationException e) {
                        throw new TlsException(file, "unsupported key encryption (" + e.getMessage() + ")", e);
                    }
                    return converter.getPrivateKey(info);
                }
            } catch (PEMException e) {
                throw new TlsException(file, "holds a damaged or unsupported private key (" + e.getMessage() + ")", e);
            }
        }
        throw new TlsException(file, describeMissing(objects, "a PEM private key (BEGIN PRIVATE KEY, RSA PRIVATE KEY, "
                + "EC PRIVATE KEY or ENCRYPTED PRIVATE KEY)"));
    }

    /** Every CRL in a PEM or DER file. */
    public static List<X509CRL> crls(Path file) throws TlsException {
        byte[] bytes = read(file);
        List<X509CRL> crls = new ArrayList<>();
        if (!looksLikePem(bytes)) {
            try {
                crls.add((X509CRL) CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(bytes)));
                return crls;
            } catch (CertificateException | CRLException e) {
                throw new TlsException(file, "is neither a PEM nor a DER CRL");
            }
        }
        List<Object> objects = parse(file, bytes);
        JcaX509CRLConverter converter = new JcaX509CRLConverter();
        for (Object o : objects) {
            if (o instanceof X509CRLHolder holder) {
                try {
                    crls.add(converter.getCRL(holder));
                } catch (CRLException | RuntimeException e) { // Bouncy Castle parses lazily: ASN1ParsingException
                    throw new TlsException(file, "holds a damaged CRL (" + e.getMessage() + ")", e);
                }
            }
        }
        if (crls.isEmpty()) {
            throw new TlsException(file, describeMissing(objects, "a CRL (BEGIN X509 CRL)"));
        }
        return crls;
    }

    /** A key with its certificate chain. */
    public record KeyAndChain(PrivateKey key, List<X509Certificate> chain) {
    }

    /** The first private-key entry of a PKCS#12 file. */
    public static KeyAndChain pkcs12(Path file, char[] password) throws TlsException {
        byte[] bytes = read(file);
        char[] pw = password == null ? new char[0] : password;
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            try (InputStream in = new ByteArrayInputStream(bytes)) {
                store.load(in, pw);
            }
            for (String alias : Collections.list(store.aliases())) {
                if (store.isKeyEntry(alias)) {
                    PrivateKey key = (PrivateKey) store.getKey(alias, pw);
                    List<X509Certificate> chain = new ArrayList<>();
                    Certificate[] certs = store.getCertificateChain(alias);
                    if (certs != null) {
                        for (Certificate c : certs) {
                            chain.add((X509Certificate) c);
                        }
                    }
                    if (chain.isEmpty()) {
                        throw new TlsException(file, "the key entry \"" + alias + "\" has no certificate");
                    }
                    return new KeyAndChain(key, chain);
                }
            }
            throw new TlsException(file, "holds no private key entry");
        } catch (IOException e) {
            if (e.getCause() instanceof java.security.UnrecoverableKeyException
                    || String.valueOf(e.getMessage()).contains("password")) {
                throw new TlsException(file, "wrong password (the PKCS#12 store could not be opened)");
            }
            throw new TlsException(file, "is not a readable PKCS#12 file (" + e.getMessage() + ")", e);
        } catch (GeneralSecurityException e) {
            if (e instanceof java.security.UnrecoverableKeyException) {
                throw new TlsException(file, "wrong password (the key entry could not be decrypted)");
            }
            throw new TlsException(file, "is not a readable PKCS#12 file (" + e.getMessage() + ")", e);
        }
    }

    /** Whether {@code key} is the private half of {@code publicKey}: signs random bytes and verifies them. */
    public static boolean matches(PrivateKey key, PublicKey publicKey) {
        if (!key.getAlgorithm().equals(publicKey.getAlgorithm())) {
            return false;
        }
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "Ed25519", "EdDSA" -> "Ed25519";
            case "Ed448" -> "Ed448";
            default -> null;
        };
        if (algorithm == null) {
            return false;
        }
        try {
            byte[] challenge = new byte[32];
            new SecureRandom().nextBytes(challenge);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(challenge);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(publicKey);
            verifier.update(challenge);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static void requirePassword(Path file, char[] password) throws TlsException {
        if (password == null || password.length == 0) {
            throw new TlsException(file, "the key is encrypted but no password is configured (expected keyPassword)");
        }
    }

    private static List<Object> pemObjects(Path file) throws TlsException {
        return parse(file, read(file));
    }

    private static List<Object> parse(Path file, byte[] bytes) throws TlsException {
        List<Object> objects = new ArrayList<>();
        try (Reader reader = new StringReader(new String(bytes, StandardCharsets.US_ASCII));
             PEMParser parser = new PEMParser(reader)) {
            Object o;
            while ((o = parser.readObject()) != null) {
                objects.add(o);
            }
        } catch (IOException | RuntimeException e) {
            throw new TlsException(file, "is not valid PEM (" + e.getMessage() + ")", e);
        }
        return objects;
    }

    private static byte[] read(Path file) throws TlsException {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new TlsException(file, "file not found");
        } catch (IOException e) {
            throw new TlsException(file, "cannot be read (" + e.getMessage() + ")", e);
        }
    }

    private static boolean looksLikePem(byte[] bytes) {
        return new String(bytes, 0, Math.min(bytes.length, 4096), StandardCharsets.US_ASCII).contains("-----BEGIN ");
    }

    private static String describeMissing(List<Object> objects, String expected) {
        if (objects.isEmpty()) {
            return "holds no PEM data (expected " + expected + ")";
        }
        String found = objects.stream().map(PemLoader::kind).distinct().reduce((a, b) -> a + ", " + b).orElse("");
        return "holds " + found + ", not " + expected;
    }

    private static String kind(Object o) {
        if (o instanceof X509CertificateHolder) {
            return "a certificate";
        }
        if (o instanceof X509CRLHolder) {
            return "a CRL";
        }
        if (o instanceof PEMKeyPair || o instanceof PrivateKeyInfo || o instanceof PEMEncryptedKeyPair
                || o instanceof PKCS8EncryptedPrivateKeyInfo) {
            return "a private key";
        }
        if (o instanceof org.bouncycastle.asn1.x509.SubjectPublicKeyInfo) {
            return "a public key";
        }
        if (o instanceof org.bouncycastle.pkcs.PKCS10CertificationRequest) {
            return "a certificate request";
        }
        return "other PEM data";
    }
}
