package io.chartgate.testing;

import io.chartgate.tls.CertificateAuthority;
import io.chartgate.tls.CertificateRequest;
import io.chartgate.tls.KeyType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A test PKI made in code, with named fixtures: {@code pki.client("bob").ou("engineering").issue()},
 * {@code pki.client("eve").expired().issue()}, {@code pki.client("dave").revoked().issue()}. Everything is
 * written as PEM into one directory: {@code ca.crt}, {@code ca.key}, {@code ca.crl}, {@code NAME.crt}, {@code NAME.key}.
 */
public final class TestPki {

    private final Path dir;
    private final CertificateAuthority ca;
    private final Map<BigInteger, Instant> revoked = new LinkedHashMap<>();

    private TestPki(Path dir, CertificateAuthority ca) {
        this.dir = dir;
        this.ca = ca;
        write("ca.crt", CertificateAuthority.pem(ca.certificate()));
        write("ca.key", CertificateAuthority.pem(ca.key()));
        writeCrl(Instant.now().plus(Duration.ofDays(7)));
    }

    /** A new CA named {@code CN=caName} writing into {@code dir}. */
    public static TestPki create(Path dir, String caName) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new TestPki(dir, CertificateAuthority.create(caName, KeyType.EC_P256, Instant.now().plus(Duration.ofDays(365))));
    }

    public Path dir() {
        return dir;
    }

    public CertificateAuthority ca() {
        return ca;
    }

    public Path caFile() {
        return dir.resolve("ca.crt");
    }

    public Path caKeyFile() {
        return dir.resolve("ca.key");
    }

    public Path crlFile() {
        return dir.resolve("ca.crl");
    }

    /** Rewrites ca.crl with every certificate revoked so far and the given nextUpdate. */
    public Path writeCrl(Instant nextUpdate) {
        return write("ca.crl", CertificateAuthority.pem(ca.crl(revoked, Instant.now().minusSeconds(60), nextUpdate,
                BigInteger.valueOf(revoked.size() + 1L))));
    }

    /** Revokes an issued certificate and rewrites ca.crl. */
    public Path revoke(Issued issued) {
        revoked.put(issued.certificate().getSerialNumber(), Instant.now().minusSeconds(30));
        return writeCrl(Instant.now().plus(Duration.ofDays(7)));
    }

    public Fixture client(String cn) {
        return new Fixture(CertificateRequest.client(cn, 30));
    }

    public Fixture server(String cn) {
        return new Fixture(CertificateRequest.server(cn, List.of(cn, "localhost"), List.of("127.0.0.1"), 30));
    }

    /** A certificate being described; {@link #issue()} makes it and writes NAME.crt and NAME.key. */
    public final class Fixture {
        private CertificateRequest request;
        private final List<String> ou = new ArrayList<>();
        private final List<String> o = new ArrayList<>();
        private boolean revoke;
        private String fileName;

        private Fixture(CertificateRequest request) {
            this.request = request;
            this.fileName = request.cn().replaceAll("[^A-Za-z0-9_.-]", "_");
        }

        public Fixture ou(String... values) {
            ou.addAll(List.of(values));
            return this;
        }

        public Fixture o(String... values) {
            o.addAll(List.of(values));
            return this;
        }

        public Fixture sans(List<String> dns, List<String> ip, List<String> uri, List<String> email) {
            request = request.withSans(dns, ip, uri, email);
            return this;
        }

        public Fixture expired() {
            request = request.withValidity(Instant.now().minus(Duration.ofDays(30)), Instant.now().minus(Duration.ofDays(1)));
            return this;
        }

        /** Valid from a minute ago until {@code lifetime} from now (whole seconds, as X.509 counts). */
        public Fixture expiresIn(Duration lifetime) {
            request = request.withValidity(Instant.now().minus(Duration.ofMinutes(1)), Instant.now().plus(lifetime));
            return this;
        }

        public Fixture notYetValid() {
            request = request.withValidity(Instant.now().plus(Duration.ofDays(1)), Instant.now().plus(Duration.ofDays(30)));
            return this;
        }

        public Fixture revoked() {
            revoke = true;
            return this;
        }

        public Fixture rsa() {
            request = request.withKeyType(KeyType.RSA_2048);
            return this;
        }

        public Fixture fileName(String name) {
            fileName = name;
            return this;
        }

        public Issued issue() {
            CertificateAuthority.Issued issued = ca.issue(request.withOu(ou.toArray(String[]::new)).withO(o.toArray(String[]::new)));
            Path cert = write(fileName + ".crt", issued.certificatePem());
            Path key = write(fileName + ".key", issued.keyPem());
            if (revoke) {
                revoked.put(issued.certificate().getSerialNumber(), Instant.now().minusSeconds(30));
                writeCrl(Instant.now().plus(Duration.ofDays(7)));
            }
            return new Issued(issued.certificate(), cert, key);
        }
    }

    /** An issued certificate and where its PEM files are. */
    public record Issued(X509Certificate certificate, Path certFile, Path keyFile) {
    }

    private Path write(String name, String content) {
        try {
            return Files.writeString(dir.resolve(name), content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
