package io.chartgate.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A real s3proxy (Maven Central {@code org.gaul:s3proxy}, cached by scripts/test.sh) as its own process on a
 * loopback port, with a filesystem backend and SigV4 authorization enforced. A bucket is a directory.
 */
public final class S3ProxyServer implements AutoCloseable {

    public static final String IDENTITY = "chartgate-test-key";
    public static final String CREDENTIAL = "chartgate-test-secret";

    private final Process process;
    private final int port;
    private final Path root;

    private S3ProxyServer(Process process, int port, Path root) {
        this.process = process;
        this.port = port;
        this.root = root;
    }

    public static S3ProxyServer start(Path dir, String... buckets) throws IOException {
        Path jar = Path.of(".cache/s3proxy/s3proxy-2.6.0.jar");
        if (!Files.isRegularFile(jar)) {
            fail(jar + " is missing; run scripts/test.sh, which fetches s3proxy from Maven Central");
        }
        Path root = Files.createDirectories(dir.resolve("s3"));
        for (String bucket : buckets) {
            Files.createDirectories(root.resolve(bucket));
        }
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path properties = Files.writeString(dir.resolve("s3proxy.properties"), String.join("\n",
                "s3proxy.endpoint=http://127.0.0.1:" + port,
                "s3proxy.authorization=aws-v2-or-v4",
                "s3proxy.identity=" + IDENTITY,
                "s3proxy.credential=" + CREDENTIAL,
                "jclouds.provider=filesystem",
                "jclouds.filesystem.basedir=" + root,
                ""));
        Process process = new ProcessBuilder("java", "-jar", jar.toAbsolutePath().toString(), "--properties", properties.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("s3proxy.log").toFile()).start();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return new S3ProxyServer(process, port, root);
            } catch (IOException notYet) {
                if (!process.isAlive()) {
                    fail("s3proxy exited: " + Files.readString(dir.resolve("s3proxy.log")));
                }
                LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
            }
        }
        process.destroyForcibly();
        return fail("s3proxy did not listen within 60 s");
    }

    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    /** Where an object's bytes live on disk. */
    public Path object(String bucket, String key) {
        return root.resolve(bucket).resolve(key);
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
