package io.chartgate.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;

/**
 * A real OCI registry, Debian's {@code docker-registry} (distribution 2.8), on 127.0.0.1 with filesystem
 * storage in a temporary directory; optionally with {@code htpasswd} basic authentication. {@link #received()}
 * reads back every request it answered from its log ("response completed" lines), with the remote address it
 * recorded: distribution takes that from {@code X-Forwarded-For} when present, so a request the gateway forwarded
 * shows a bare address and one that reached the registry directly shows {@code address:port}.
 * A missing binary fails the test with the install step; it never skips.
 */
public final class RegistryServer implements AutoCloseable {

    /** One request the registry answered, as its log recorded it. */
    public record Received(String method, String uri, int status, String remoteAddr) {

        /** The path without the query. */
        public String path() {
            int q = uri.indexOf('?');
            return q < 0 ? uri : uri.substring(0, q);
        }

        /** The remote address came from X-Forwarded-For (no port): a proxy sent it. */
        public boolean forwarded() {
            return !remoteAddr.contains(":");
        }
    }

    static final String MISSING = "docker-registry is required by the OCI integration tests and was not found; "
            + "run scripts/test.sh, which installs it (apt-get install docker-registry)";
    private static final Path BINARY = Path.of("/usr/bin/docker-registry");
    private static final Pattern LINE = Pattern.compile("msg=\"response completed\".*?http\\.request\\.method=(\\S+) "
            + "http\\.request\\.remoteaddr=\"?([^\" ]+)\"? http\\.request\\.uri=\"?([^\" ]+)\"?.*?http\\.response\\.status=(\\d+)");

    private final Process process;
    private final Path log;
    private final int port;

    private RegistryServer(Process process, Path log, int port) {
        this.process = process;
        this.log = log;
        this.port = port;
    }

    /** A registry that asks for no credentials. */
    public static RegistryServer start(Path dir) {
        return start(dir, null, null);
    }

    /** A registry that wants basic credentials {@code user}/{@code password} ({@code htpasswd}, bcrypt). */
    public static RegistryServer start(Path dir, String user, String password) {
        return start(dir, user, password, null);
    }

    /**
     * A registry that wants bearer tokens from {@code realm} for {@code service}, signed by {@code issuer} with a
     * key whose certificate chains to {@code rootCertBundle} (distribution's {@code auth.token}).
     */
    public static RegistryServer startWithTokenAuth(Path dir, String realm, String service, String issuer,
            Path rootCertBundle) {
        return start(dir, null, null, "auth: {token: {realm: \"%s\", service: %s, issuer: %s, rootcertbundle: %s}}\n"
                .formatted(realm, service, issuer, rootCertBundle));
    }

    private static RegistryServer start(Path dir, String user, String password, String tokenAuth) {
        if (!Files.isExecutable(BINARY)) {
            throw new IllegalStateException(MISSING);
        }
        try {
            Files.createDirectories(dir);
            String auth = tokenAuth == null ? "" : tokenAuth;
            if (user != null) {
                byte[] salt = new byte[16];
                new SecureRandom().nextBytes(salt);
                String hash = OpenBSDBCrypt.generate("2y", password.toCharArray(), salt, 5);
                Files.writeString(dir.resolve("htpasswd"), user + ":" + hash + "\n");
                auth = "auth: {htpasswd: {realm: chartgate-test, path: " + dir.resolve("htpasswd") + "}}\n";
            }
            for (int attempt = 0; attempt < 5; attempt++) {
                int port = freePort();
                Path config = Files.writeString(dir.resolve("config.yml"), """
                        version: 0.1
                        log: {level: info, formatter: text, accesslog: {disabled: true}}
                        storage:
                          filesystem: {rootdirectory: %s}
                          delete: {enabled: true}
                          maintenance: {uploadpurging: {enabled: false}}
                        http: {addr: 127.0.0.1:%d, secret: chartgate-test-secret}
                        %s""".formatted(dir.resolve("data"), port, auth));
                Path log = dir.resolve("registry.log");
                Files.deleteIfExists(log);
                Process process = new ProcessBuilder(BINARY.toString(), "serve", config.toString())
                        .redirectErrorStream(true)
                        .redirectOutput(log.toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                        .start();
                long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
                while (System.nanoTime() - deadline < 0 && process.isAlive()) {
                    if (Files.readString(log).contains("listening on") && accepts(port)) {
                        return new RegistryServer(process, log, port);
                    }
                    LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
                }
                String output = Files.exists(log) ? Files.readString(log) : "";
                process.destroyForcibly();
                if (!output.contains("address already in use")) {
                    throw new IllegalStateException("docker-registry did not start:\n" + output);
                }
            }
            throw new IllegalStateException("docker-registry found no free port");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code http://127.0.0.1:PORT}. */
    public String url() {
        return "http://127.0.0.1:" + port;
    }

    /** Every request answered so far, in order. */
    public List<Received> received() {
        List<Received> out = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
                Matcher m = LINE.matcher(line);
                if (m.find()) {
                    out.add(new Received(m.group(1), m.group(3), Integer.parseInt(m.group(4)), m.group(2)));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** The registry's log as it is, for failure messages. */
    public String logText() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean accepts(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
