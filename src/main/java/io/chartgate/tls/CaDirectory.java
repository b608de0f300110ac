package io.chartgate.tls;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.Extension;

/**
 * A certificate authority kept in a directory, as the {@code certs} commands use it: {@code ca.crt},
 * {@code ca.key} (0600, optionally encrypted), {@code ca.crl}, and {@code NAME.crt} / {@code NAME.key}
 * ({@code NAME.p12}) for each issued certificate. Everything it writes is what OpenSSL reads.
 */
public final class CaDirectory {

    public static final String CA_CERT = "ca.crt";
    public static final String CA_KEY = "ca.key";
    public static final String CA_CRL = "ca.crl";

    private final Path dir;
    private final CertificateAuthority ca;

    private CaDirectory(Path dir, CertificateAuthority ca) {
        this.dir = dir;
        this.ca = ca;
    }

    /** A new CA in {@code dir} (which must not hold one), with an empty CRL valid for {@code crlValidity}. */
    public static CaDirectory init(Path dir, String cn, KeyType type, int days, char[] keyPassword, Duration crlValidity)
            throws IOException {
        Files.createDirectories(dir);
        if (Files.exists(dir.resolve(CA_CERT)) || Files.exists(dir.resolve(CA_KEY))) {
            throw new IOException(dir.resolve(CA_CERT) + " already exists; refusing to overwrite a CA");
        }
        CertificateAuthority ca = CertificateAuthority.create(cn, type, Instant.now().plus(Duration.ofDays(days)));
        writeSecret(dir.resolve(CA_KEY), keyPassword == null ? CertificateAuthority.pem(ca.key())
                : CertificateAuthority.encryptedPem(ca.key(), keyPassword));
        Files.writeString(dir.resolve(CA_CERT), CertificateAuthority.pem(ca.certificate()));
        CaDirectory directory = new CaDirectory(dir, ca);
        directory.writeCrl(Map.of(), crlValidity);
        return directory;
    }

    /** The CA already in {@code dir}. */
    public static CaDirectory open(Path dir, char[] keyPassword) throws TlsException {
        X509Certificate certificate = PemLoader.certificates(dir.resolve(CA_CERT)).get(0);
        var key = PemLoader.privateKey(dir.resolve(CA_KEY), keyPassword);
        if (!PemLoader.matches(key, certificate.getPublicKey())) {
            throw new TlsException(dir.resolve(CA_KEY), "the key does not match " + dir.resolve(CA_CERT));
        }
        return new CaDirectory(dir, CertificateAuthority.of(certificate, key));
    }

    public Path dir() {
        return dir;
    }

    /** Where one issued certificate's files went. */
    public record Written(X509Certificate certificate, Path certFile, Path keyFile, Path p12File) {
    }

    /**
     * Issues a certificate and writes {@code base.crt} and {@code base.key} (0600; encrypted only with a
     * password: helm cannot read encrypted client keys), and {@code base.p12} when {@code p12Password} is set.
     */
    public Written issue(CertificateRequest request, Path base, char[] keyPassword, char[] p12Password) throws IOException {
        CertificateAuthority.Issued issued = ca.issue(request);
        Path cert = sibling(base, ".crt");
        Path key = sibling(base, ".key");
        Files.createDirectories(cert.toAbsolutePath().getParent());
        Files.writeString(cert, issued.certificatePem() + CertificateAuthority.pem(ca.certificate()));
        writeSecret(key, keyPassword == null ? issued.keyPem() : CertificateAuthority.encryptedPem(issued.key(), keyPassword));
        Path p12 = null;
        if (p12Password != null) {
            p12 = sibling(base, ".p12");
            try {
                KeyStore store = KeyStore.getInstance("PKCS12");
                store.load(null, null);
                store.setKeyEntry(request.cn() == null ? "key" : request.cn(), issued.key(), p12Password,
                        new X509Certificate[] {issued.certificate(), ca.certificate()});
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                store.store(out, p12Password);
                writeSecret(p12, out.toByteArray());
            } catch (GeneralSecurityException e) {
                throw new IOException("cannot write " + p12 + ": " + e.getMessage(), e);
            }
        }
        return new Written(issued.certificate(), cert, key, p12);
    }

    /** Adds {@code serial} to the CRL (keeping every earlier entry) and re-signs it with a new number. */
    public X509CRL revoke(BigInteger serial, int reason, Duration crlValidity) throws IOException, TlsException {
        Map<BigInteger, CertificateAuthority.Revocation> revoked = revocations();
        revoked.putIfAbsent(serial, new CertificateAuthority.Revocation(Instant.now(), reason));
        return writeCrl(revoked, crlValidity);
    }

    /** Re-signs the CRL with the same entries, a new number and a new validity: what a CA does before nextUpdate. */
    public X509CRL renewCrl(Duration crlValidity) throws IOException, TlsException {
        return writeCrl(revocations(), crlValidity);
    }

    /** The certificates listed in the current CRL. */
    public Map<BigInteger, CertificateAuthority.Revocation> revocations() throws TlsException {
        Map<BigInteger, CertificateAuthority.Revocation> revoked = new LinkedHashMap<>();
        X509CRL crl = currentCrl();
        if (crl != null && crl.getRevokedCertificates() != null) {
            for (X509CRLEntry entry : crl.getRevokedCertificates()) {
                int reason = entry.getRevocationReason() == null ? CRLReason.unspecified : entry.getRevocationReason().ordinal();
                revoked.put(entry.getSerialNumber(), new CertificateAuthority.Revocation(entry.getRevocationDate().toInstant(), reason));
            }
        }
        return revoked;
    }

    /** One issued certificate found in the directory. */
    public record Listed(String file, String serial, String subject, Instant notAfter, boolean revoked) {
    }

    /** Every issued certificate in the directory (every {@code *.crt} but the CA's), with its state. */
    public List<Listed> list() throws IOException, TlsException {
        Map<BigInteger, CertificateAuthority.Revocation> revoked = revocations();
        List<Listed> listed = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(p -> p.toString().endsWith(".crt") && !p.getFileName().toString().equals(CA_CERT))
                    .sorted().toList()) {
                X509Certificate cert = PemLoader.certificates(file).get(0);
                listed.add(new Listed(file.getFileName().toString(), cert.getSerialNumber().toString(16),
                        cert.getSubjectX500Principal().getName(), cert.getNotAfter().toInstant(),
                        revoked.containsKey(cert.getSerialNumber())));
            }
        }
        return listed;
    }

    private X509CRL currentCrl() throws TlsException {
        Path file = dir.resolve(CA_CRL);
        return Files.exists(file) ? PemLoader.crls(file).get(0) : null;
    }

    private X509CRL writeCrl(Map<BigInteger, CertificateAuthority.Revocation> revoked, Duration validity) throws IOException {
        BigInteger number = BigInteger.ONE;
        try {
            X509CRL current = currentCrl();
            byte[] ext = current == null ? null : current.getExtensionValue(Extension.cRLNumber.getId());
            if (ext != null) {
                number = ASN1Integer.getInstance(ASN1OctetString.getInstance(ext).getOctets()).getValue().add(BigInteger.ONE);
            }
        } catch (TlsException e) {
            throw new IOException(e.getMessage(), e);
        }
        Instant now = Instant.now();
        X509CRL crl = ca.crlWithReasons(revoked, now.minusSeconds(60), now.plus(validity), number);
        Files.writeString(dir.resolve(CA_CRL), CertificateAuthority.pem(crl));
        return crl;
    }

    private static Path sibling(Path base, String suffix) {
        return base.resolveSibling(base.getFileName() + suffix);
    }

    private static void writeSecret(Path file, String content) throws IOException {
        writeSecret(file, content.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    }

    /** Created 0600 before any byte is in it. */
    private static void writeSecret(Path file, byte[] content) throws IOException {
        Files.deleteIfExists(file);
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(file);
        }
        Files.write(file, content);
    }
}
