package io.chartgate.cli;

import io.chartgate.helm.SampleRepository;
import io.chartgate.tls.CertificateAuthority;
import io.chartgate.tls.CertificateRequest;
import io.chartgate.tls.KeyType;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code chartgate demo}: a throwaway CA with server and client certificates, a sample chart repository, and
 * the gateway in front of it (file upstream), with the exact helm and curl commands that work and some that
 * are refused. Ctrl-C stops it and removes the temporary directory.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the gateway in front of a sample chart repository with throwaway certificates.")
final class DemoCommand implements Callable<Integer> {

    private final CliContext context;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--port", defaultValue = "8443", description = "The gateway's port (default: ${DEFAULT-VALUE}; 0 picks one).")
    int port;

    @Option(names = "--admin-port", defaultValue = "0", description = "The admin port (default: a free one).")
    int adminPort;

    @Option(names = "--dir", description = "Where to write the demo files (default: a new temporary directory, removed on exit).")
    Path dir;

    DemoCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() throws IOException {
        boolean temporary = dir == null;
        Path root = temporary ? Files.createTempDirectory("chartgate-demo-") : Files.createDirectories(dir);
        try {
            Path config = writeDemo(root);
            PrintWriter out = spec.commandLine().getOut();
            return Serving.serve(context, config, spec.commandLine().getErr(), gateway -> {
                printInstructions(out, root, gateway.port(), gateway.adminPort());
                out.flush();
            });
        } finally {
            if (temporary) {
                deleteTree(root);
            }
        }
    }

    /** Writes the CA, certificates, CRL, sample repository and configuration; returns the configuration. */
    private Path writeDemo(Path root) throws IOException {
        Instant now = Instant.now();
        CertificateAuthority ca = CertificateAuthority.create("chartgate demo CA", KeyType.EC_P256, now.plus(Duration.ofDays(30)));
        write(root.resolve("ca.crt"), CertificateAuthority.pem(ca.certificate()), false);
        CertificateAuthority.Issued server = ca.issue(CertificateRequest.server("localhost", List.of("localhost"),
                List.of("127.0.0.1", "::1"), 30));
        write(root.resolve("server.crt"), server.certificatePem(), false);
        write(root.resolve("server.key"), server.keyPem(), true);
        CertificateAuthority.Issued reader = ca.issue(CertificateRequest.client("helm-user", 30).withOu("engineering"));
        write(root.resolve("helm-user.crt"), reader.certificatePem(), false);
        write(root.resolve("helm-user.key"), reader.keyPem(), true);
        CertificateAuthority.Issued revoked = ca.issue(CertificateRequest.client("revoked-user", 30).withOu("engineering"));
        write(root.resolve("revoked-user.crt"), revoked.certificatePem(), false);
        write(root.resolve("revoked-user.key"), revoked.keyPem(), true);
        write(root.resolve("ca.crl"), CertificateAuthority.pem(ca.crl(Map.of(revoked.certificate().getSerialNumber(),
                now.minusSeconds(60)), now.minusSeconds(60), now.plus(Duration.ofDays(7)), BigInteger.ONE)), false);
        SampleRepository.write(root.resolve("charts"));
        Path config = root.resolve("chartgate.yaml");
        write(config, """
                # written by `chartgate demo`
                server:
                  host: 127.0.0.1
                  port: %d
                  shutdownGraceSeconds: 5
                  tls:
                    certFile: server.crt
                    keyFile: server.key
                    clientCaFile: ca.crt
                    crlFiles: [ca.crl]
                admin:
                  port: %d
                routes:
                  - name: demo
                    prefix: /
                    upstream: { type: file, dir: charts }
                policy:
                  rules:
                    - name: engineering-reads
                      match: { ou: engineering }
                      read: ["/**"]
                """.formatted(port, adminPort), false);
        return config;
    }

    private static void printInstructions(PrintWriter out, Path root, int port, int adminPort) {
        String url = "https://localhost:" + port;
        String certs = "--cert-file " + root.resolve("helm-user.crt") + " --key-file " + root.resolve("helm-user.key")
                + " --ca-file " + root.resolve("ca.crt");
        String curl = "curl --cacert " + root.resolve("ca.crt") + " --cert " + root.resolve("helm-user.crt")
                + " --key " + root.resolve("helm-user.key");
        out.println();
        out.println("chartgate demo is running in front of " + root.resolve("charts") + " (Ctrl-C stops it and removes " + root + ")");
        out.println();
        out.println("These work (helm 3 or 4):");
        out.println("  helm repo add chartgate-demo " + url + " " + certs);
        out.println("  helm repo update chartgate-demo && helm search repo chartgate-demo");
        out.println("  helm pull chartgate-demo/hello --version 0.2.0");
        out.println("  " + curl + " " + url + "/index.yaml");
        out.println();
        out.println("These are refused:");
        out.println("  " + curl + " -X PUT --data-binary @/etc/hostname " + url + "/hello-9.9.9.tgz");
        out.println("      403: helm-user may not write /hello-9.9.9.tgz (the policy grants OU=engineering read only)");
        out.println("  curl --cacert " + root.resolve("ca.crt") + " --cert " + root.resolve("revoked-user.crt") + " --key "
                + root.resolve("revoked-user.key") + " " + url + "/index.yaml");
        out.println("      refused in the TLS handshake: revoked-user's certificate is listed in ca.crl");
        out.println("  curl --cacert " + root.resolve("ca.crt") + " " + url + "/index.yaml");
        out.println("      refused in the TLS handshake: no client certificate");
        out.println();
        out.println("Metrics: curl http://127.0.0.1:" + adminPort + "/metrics   Access log: one JSON line per request below.");
    }

    /** Writes a file; a secret (a key) is created 0600 before any byte is in it. */
    private static void write(Path file, String content, boolean secret) throws IOException {
        if (secret) {
            Files.deleteIfExists(file);
            try {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (UnsupportedOperationException e) {
                Files.createFile(file);
            }
        }
        Files.writeString(file, content);
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> files = Files.walk(root)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            // best effort: a leftover temporary directory is harmless
        }
    }
}
