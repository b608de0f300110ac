package io.chartgate.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Client PKIs made by the real {@code openssl} CLI in one directory, as an organisation's CA would make them:
 * roots, intermediates and client certificates (EC P-256), revocation and CRLs with {@code openssl ca}. Files are
 * {@code NAME.crt}/{@code NAME.key}; a CA's database is {@code NAME-index.txt}.
 */
public final class OpensslPki {

    private static final AtomicLong SERIAL = new AtomicLong(System.nanoTime());

    private final Path dir;

    /**
     * @param extraClientExtensions lines added to client and intermediate certificates' extensions, e.g.
     *     {@code crlDistributionPoints = URI:http://127.0.0.1:8080/ca.crl}
     */
    public OpensslPki(Path dir, String extraClientExtensions) {
        this.dir = dir;
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("ext.cnf"), """
                    [ca]
                    basicConstraints = critical,CA:TRUE
                    keyUsage = critical,keyCertSign,cRLSign
                    subjectKeyIdentifier = hash
                    [intermediate]
                    basicConstraints = critical,CA:TRUE,pathlen:0
                    keyUsage = critical,keyCertSign,cRLSign
                    subjectKeyIdentifier = hash
                    authorityKeyIdentifier = keyid
                    %1$s
                    [client]
                    basicConstraints = critical,CA:FALSE
                    keyUsage = critical,digitalSignature
                    extendedKeyUsage = clientAuth
                    subjectKeyIdentifier = hash
                    authorityKeyIdentifier = keyid
                    %1$s
                    """.formatted(extraClientExtensions));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Path dir() {
        return dir;
    }

    public Path file(String name) {
        return dir.resolve(name);
    }

    /** A self-signed root CA with its (empty) {@code openssl ca} database. */
    public OpensslPki root(String name, String subject) {
        Openssl.run(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", name + ".key", "-out", name + ".crt", "-subj", subject, "-days", "30",
                "-config", "ext.cnf", "-extensions", "ca");
        database(name);
        return this;
    }

    /** A certificate for {@code subject} signed by the CA {@code issuer}, with the extensions of {@code section}. */
    public OpensslPki issue(String name, String subject, String issuer, String section) {
        Openssl.run(dir, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", name + ".key", "-out", name + ".csr", "-subj", subject);
        Openssl.run(dir, "x509", "-req", "-in", name + ".csr", "-CA", issuer + ".crt", "-CAkey", issuer + ".key",
                "-set_serial", "0x" + Long.toHexString(SERIAL.incrementAndGet()), "-days", "10", "-out", name + ".crt",
                "-extfile", "ext.cnf", "-extensions", section);
        if (section.equals("intermediate")) {
            database(name);
        }
        return this;
    }

    /** Writes {@code name} with the text of {@code parts} one after the other (a chain, a bundle). */
    public Path concat(String name, String... parts) {
        try {
            StringBuilder text = new StringBuilder();
            for (String part : parts) {
                text.append(Files.readString(dir.resolve(part)));
            }
            return Files.writeString(dir.resolve(name), text.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Records {@code certificate} (NAME.crt) as revoked in the database of the CA {@code ca}. */
    public OpensslPki revoke(String ca, String certificate) {
        Openssl.run(dir, "ca", "-config", ca + "-ca.cnf", "-keyfile", ca + ".key", "-cert", ca + ".crt",
                "-revoke", certificate + ".crt");
        return this;
    }

    /** Writes the CRL of {@code ca} (PEM) to {@code out}, relative to this directory or absolute. */
    public Path crl(String ca, Path out) {
        Openssl.run(dir, "ca", "-config", ca + "-ca.cnf", "-keyfile", ca + ".key", "-cert", ca + ".crt", "-gencrl",
                "-out", out.toString());
        return dir.resolve(out);
    }

    /** Writes the CRL of {@code ca} in DER, as distribution points serve it. */
    public Path derCrl(String ca, Path out) {
        Path pem = crl(ca, Path.of(ca + "-latest.crl"));
        Openssl.run(dir, "crl", "-in", pem.toString(), "-outform", "DER", "-out", out.toString());
        return dir.resolve(out);
    }

    private void database(String ca) {
        try {
            Files.writeString(dir.resolve(ca + "-ca.cnf"), """
                    [ca]
                    default_ca = this
                    [this]
                    database = %1$s-index.txt
                    crlnumber = %1$s-crlnumber
                    default_md = sha256
                    default_crl_days = 7
                    """.formatted(ca));
            Files.writeString(dir.resolve(ca + "-index.txt"), "");
            Files.writeString(dir.resolve(ca + "-crlnumber"), "01\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
