package io.chartgate.tls;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.asn1.x509.DistributionPoint;
import org.bouncycastle.asn1.x509.DistributionPointName;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;

/**
 * The directory fetched CRLs are kept in ({@code server.tls.crlCacheDir}): one file per distribution point URL
 * ({@code SHA-256(url).crl}, DER as fetched, written whole or not at all), and {@code urls.txt}, the distribution
 * points learned from client certificates, so a restart without network still has both. Pure file work: the
 * fetching is {@code server.CrlFetcher}'s.
 */
public final class CrlCache {

    /** At most this many distribution points are remembered: client certificates name them, so they are bounded. */
    public static final int MAX_URLS = 64;

    private static final String URLS = "urls.txt";

    private final Path dir;

    public CrlCache(Path dir) {
        this.dir = dir;
    }

    public Path dir() {
        return dir;
    }

    /** The file holding the CRL fetched from {@code url}. */
    public Path file(URI url) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(url.toString().getBytes(StandardCharsets.UTF_8));
            return dir.resolve(HexFormat.of().formatHex(hash, 0, 16) + ".crl");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Every cached CRL file, sorted (empty when the directory does not exist yet). */
    public List<Path> files() {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> list = Files.list(dir)) {
            return list.filter(p -> p.getFileName().toString().endsWith(".crl")).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** Replaces the CRL cached for {@code url} with {@code der}, atomically where the file system allows. */
    public void store(URI url, byte[] der) throws IOException {
        Files.createDirectories(dir);
        Path target = file(url);
        Path temp = Files.createTempFile(dir, ".fetch-", ".tmp");
        try {
            Files.write(temp, der);
            try {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** The CRL cached for {@code url}, or null when there is none or it cannot be read. */
    public X509CRL load(URI url) {
        Path file = file(url);
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            List<X509CRL> crls = PemLoader.crls(file);
            return crls.isEmpty() ? null : crls.get(0);
        } catch (TlsException e) {
            return null;
        }
    }

    /** The distribution points learned so far, each with the DN of the CA expected to sign its CRL. */
    public Map<URI, String> learned() {
        Map<URI, String> urls = new LinkedHashMap<>();
        Path file = dir.resolve(URLS);
        if (!Files.isRegularFile(file)) {
            return urls;
        }
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                int tab = line.indexOf('\t');
                URI url = httpUrl(tab < 0 ? line.trim() : line.substring(0, tab));
                if (url != null && urls.size() < MAX_URLS) {
                    urls.put(url, tab < 0 ? url.getHost() : line.substring(tab + 1));
                }
            }
        } catch (IOException e) {
            // an unreadable list: the certificates teach it again
        }
        return urls;
    }

    /** Remembers {@code urls} with their CAs (replacing what was remembered). */
    public void remember(Map<URI, String> urls) {
        try {
            Files.createDirectories(dir);
            Path temp = Files.createTempFile(dir, ".urls-", ".tmp");
            StringBuilder text = new StringBuilder();
            urls.forEach((u, ca) -> text.append(u).append('\t').append(ca.replace('\n', ' ').replace('\t', ' ')).append('\n'));
            Files.writeString(temp, text, StandardCharsets.UTF_8);
            Files.move(temp, dir.resolve(URLS), StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The {@code http://} CRL distribution points {@code certificate} names (full names only), in order. */
    public static List<URI> distributionPoints(X509Certificate certificate) {
        byte[] extension = certificate.getExtensionValue(Extension.cRLDistributionPoints.getId());
        if (extension == null) {
            return List.of();
        }
        List<URI> urls = new ArrayList<>();
        try {
            ASN1Primitive value = JcaX509ExtensionUtils.parseExtensionValue(extension);
            for (DistributionPoint point : CRLDistPoint.getInstance(value).getDistributionPoints()) {
                DistributionPointName name = point.getDistributionPoint();
                if (name == null || name.getType() != DistributionPointName.FULL_NAME) {
                    continue;
                }
                for (GeneralName general : GeneralNames.getInstance(name.getName()).getNames()) {
                    if (general.getTagNo() == GeneralName.uniformResourceIdentifier) {
                        URI url = httpUrl(general.getName().toString());
                        if (url != null) {
                            urls.add(url);
                        }
                    }
                }
            }
        } catch (IOException | IllegalArgumentException e) {
            return List.of();
        }
        return urls;
    }

    /** {@code text} as an {@code http://} URL with a host, or null (https would need trust of its own; ldap is not spoken). */
    static URI httpUrl(String text) {
        try {
            URI url = new URI(text);
            return url.getScheme() != null && url.getScheme().toLowerCase(Locale.ROOT).equals("http") && url.getHost() != null
                    && url.getRawUserInfo() == null ? url : null;
        } catch (java.net.URISyntaxException e) {
            return null;
        }
    }
}
