package io.chartgate.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The gateway as the OCI integration tests run it in front of a registry: on this machine's host name, with a
 * server certificate for that name from the test PKI, so helm reaches it with its TLS flags alone ({@link #tls}).
 * A name and not {@code localhost}: helm 3 speaks plain HTTP to {@code localhost} and loopback addresses, so the
 * gateway is addressed by the host name, which must resolve to a loopback address.
 */
public final class OciGateway implements AutoCloseable {

    private final String host;
    private final TestPki pki;
    private final GatewayHarness gateway;

    private OciGateway(String host, TestPki pki, GatewayHarness gateway) {
        this.host = host;
        this.pki = pki;
        this.gateway = gateway;
    }

    /** This machine's host name; fails the test unless it resolves to a loopback address. */
    public static String loopbackHostName() {
        try {
            String host = InetAddress.getLocalHost().getHostName();
            assertTrue(InetAddress.getByName(host).isLoopbackAddress(), host + " must resolve to a loopback address "
                    + "(helm 3 speaks plain HTTP to localhost, so the tests use the host name)");
            return host;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A new test PKI in {@code dir} with the server certificate for {@code host} in {@code server.crt}, {@code server.key}. */
    public static TestPki pki(Path dir, String caName, String host) {
        TestPki pki = TestPki.create(dir, caName);
        pki.server(host).fileName("server").issue();
        return pki;
    }

    /**
     * Writes the configuration into {@code dir} and starts the gateway on {@code host}'s address, port 0, with the
     * server certificate of {@link #pki} and its CA for clients, the admin server on port 0, {@code limits} (a YAML
     * flow mapping, as {@code "{ indexRevalidateMillis: 200 }"}) under {@code server} when not null, and then
     * {@code routesAndPolicy} as it is: top-level YAML.
     */
    public static OciGateway start(Path dir, String host, TestPki pki, String limits, String routesAndPolicy) {
        try {
            String config = """
                    server:
                      host: %s
                      port: 0
                      tls: { certFile: "%s", keyFile: "%s", clientCaFile: "%s" }
                    %sadmin: { port: 0 }
                    """.formatted(InetAddress.getByName(host).getHostAddress(), pki.dir().resolve("server.crt"),
                    pki.dir().resolve("server.key"), pki.caFile(), limits == null ? "" : "  limits: " + limits + "\n")
                    + routesAndPolicy;
            return new OciGateway(host, pki, GatewayHarness.start(dir, config));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public GatewayHarness gateway() {
        return gateway;
    }

    /** The host name helm addresses the gateway by. */
    public String host() {
        return host;
    }

    /** {@code oci://HOST:PORT/repository}: the gateway's address for {@code repository} as helm takes it. */
    public String reference(String repository) {
        return "oci://" + host + ":" + gateway.port() + "/" + repository;
    }

    /** {@code args} followed by helm's flags that present {@code who}'s certificate and trust the test CA. */
    public String[] tls(TestPki.Issued who, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--cert-file", who.certFile().toString(), "--key-file", who.keyFile().toString(),
                "--ca-file", pki.caFile().toString()));
        return all.toArray(new String[0]);
    }

    /** The hex SHA-256 of a file's bytes: a chart's digest, to compare what was pushed with what was pulled. */
    public static String sha256(Path file) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        gateway.close();
    }
}
