package io.chartgate.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.chartgate.testing.KeepAliveClient;
import io.chartgate.testing.TestPki;
import io.chartgate.testing.TlsClients;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code server.tls.engine} in the packaged jar, each engine in a process of its own (a JVM loads one netty-tcnative
 * library for good): the start-up line names the engine that runs, and a client completes a handshake and a request
 * on it. An engine that cannot load falls back to the next, and the line says why.
 */
class TlsEngineIT {

    private static final String CONFIG = """
            server:
              host: 127.0.0.1
              port: 0
              tls: { certFile: localhost.crt, keyFile: localhost.key, clientCaFile: ca.crt, engine: %s }
            admin: { port: 0 }
            routes: [{ name: files, prefix: /, upstream: { type: file, dir: charts } }]
            policy: { rules: [{ name: r, match: { ou: engineering }, read: ["/**"] }] }
            """;

    @TempDir
    Path dir;

    private SSLContext client;
    /**
     * A client whose certificate no configured CA issued, though its issuer bears the configured CA's name (so the
     * JDK's client sends it: it offers only certificates whose issuer the CertificateRequest names).
     */
    private SSLContext stranger;

    @BeforeEach
    void pki() throws IOException {
        TestPki pki = TestPki.create(dir, "Engine CA");
        pki.server("localhost").issue();
        client = TlsClients.context(pki.client("reader").ou("engineering").issue(), pki.caFile());
        TestPki other = TestPki.create(dir.resolve("other"), "Engine CA");
        stranger = TlsClients.context(other.client("stranger").ou("engineering").issue(), pki.caFile());
        Files.writeString(Files.createDirectories(dir.resolve("charts")).resolve("ping.txt"), "pong\n");
    }

    /** A gateway process with {@code engine}, its start-up lines, and the port it listens on. */
    private record Started(Process process, List<String> lines, BlockingQueue<String> output, int port) implements AutoCloseable {

        /** The next line of its output that holds {@code text}, within 20 s. */
        String awaitLine(String text) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            for (String line; System.nanoTime() < deadline; ) {
                line = output.poll(1, TimeUnit.SECONDS);
                if (line != null) {
                    lines.add(line);
                }
                if (line != null && line.contains(text)) {
                    return line;
                }
            }
            throw new AssertionError("no line with " + text + " within 20 s");
        }

        String engineLine() {
            return lines.stream().filter(l -> l.contains("TLS engine:")).findFirst()
                    .orElseThrow(() -> new AssertionError("no TLS engine line:\n" + String.join("\n", lines)));
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    private Started start(String engine, Map<String, String> env) throws Exception {
        return start(engine, env, Path.of(System.getProperty("chartgate.jar", "target/chartgate.jar")));
    }

    private Started start(String engine, Map<String, String> env, Path jar) throws Exception {
        Path config = Files.writeString(dir.resolve("chartgate-" + engine + ".yaml"), CONFIG.formatted(engine));
        ProcessBuilder builder = new ProcessBuilder("java", "-jar", jar.toString(), "run", "--config", config.toString())
                .redirectErrorStream(true);
        builder.environment().putAll(env);
        Process process = builder.start();
        BlockingQueue<String> output = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    output.add(line);
                }
            } catch (IOException e) {
                // the process ended
            }
        }, "gateway-output");
        reader.setDaemon(true);
        reader.start();
        List<String> lines = new ArrayList<>();
        Integer port = null;
        while (lines.stream().noneMatch(l -> l.contains("TLS engine:"))) {
            String line = output.poll(60, TimeUnit.SECONDS);
            if (line == null) {
                process.destroyForcibly();
                fail("the gateway printed no TLS engine line within 60 s; it printed:\n" + String.join("\n", lines));
            }
            lines.add(line);
            Matcher m = Pattern.compile("listening on https://127\\.0\\.0\\.1:(\\d+)").matcher(line);
            if (m.find()) {
                port = Integer.parseInt(m.group(1));
            }
        }
        if (port == null) {
            process.destroyForcibly();
            fail("no listening line before the engine line:\n" + String.join("\n", lines));
        }
        return new Started(process, lines, output, port);
    }

    /** A certificate from a CA nobody configured is refused in the handshake, and the refusal is logged and named. */
    private void assertRefusesAStranger(Started gateway) throws Exception {
        assertThrows(IOException.class, () -> {
            try (KeepAliveClient connection = KeepAliveClient.connect(stranger, gateway.port())) {
                connection.get("/ping.txt");
            }
        });
        String refused = gateway.awaitLine("\"event\":\"tls_handshake_failed\"");
        assertTrue(refused.contains("\"reason\":\"unknown_ca\"") && refused.contains("CN=stranger"), refused);
        // and the refusal is an exception of the engine's, not an error of a native library that is not there
        assertServes(gateway);
        gateway.output().drainTo(gateway.lines());
        assertTrue(gateway.lines().stream().noneMatch(l -> l.contains("UnsatisfiedLinkError")), () -> String.join("\n", gateway.lines()));
    }

    private void assertServes(Started gateway) throws IOException {
        try (KeepAliveClient connection = KeepAliveClient.connect(client, gateway.port())) {
            KeepAliveClient.Response response = connection.get("/ping.txt");
            assertEquals(200, response.status(), gateway.engineLine());
            assertEquals("pong\n", response.text());
        }
    }

    @Test
    void boringSslRunsWhenAskedFor() throws Exception {
        try (Started gateway = start("boringssl", Map.of())) {
            assertEquals("chartgate: TLS engine: boringssl (BoringSSL)", gateway.engineLine());
            assertServes(gateway);
            assertRefusesAStranger(gateway);
        }
    }

    @Test
    void theJdkEngineRunsWhenAskedFor() throws Exception {
        try (Started gateway = start("jdk", Map.of())) {
            assertTrue(gateway.engineLine().startsWith("chartgate: TLS engine: jdk (JDK "), gateway.engineLine());
            assertServes(gateway);
            // the refusal is the JDK's own exception: netty-tcnative's verify codes are not there to be read
            assertRefusesAStranger(gateway);
        }
    }

    /**
     * The dynamic build needs the system's libssl.so.3 of OpenSSL 3.2 or later (it binds SSL_get0_group_name): where
     * it is, the engine is OpenSSL; where it is older (Debian 12's 3.0, this project's machines), the gateway falls
     * back to BoringSSL, says why at start, and serves. Anything else fails (a library the jar lacks, or that loads
     * but does not initialise, is a packaging fault).
     */
    @Test
    void openSslRunsWhereTheSystemsOpenSslIsRecentEnoughAndElseFallsBackSayingWhy() throws Exception {
        try (Started gateway = start("openssl", Map.of())) {
            String line = gateway.engineLine();
            assertFalse(line.contains("libssl.so.3: cannot open") || line.contains("libapr-1.so.0: cannot open"),
                    () -> "apt-get install libssl3 libapr1 (scripts/test.sh installs them): " + line);
            if (line.contains("version `OPENSSL_3.") && line.contains("not found")) {
                assertTrue(line.startsWith("WARNING: chartgate: TLS engine: boringssl (BoringSSL), falling back from openssl: "),
                        line);
            } else {
                assertTrue(line.startsWith("chartgate: TLS engine: openssl (OpenSSL 3."), line);
            }
            assertServes(gateway);
        }
    }

    /**
     * The OpenSSL engine's whole path on this machine whatever its OpenSSL 3: the jar's dynamic build loaded under its
     * own name, netty-tcnative initialised on it, a handshake served by it. The one binding of OpenSSL 3.2,
     * SSL_get0_group_name, is made optional in a copy of the jar (its version need marked weak): only
     * {@code SSL.getGroupName} calls it, and Netty 4.2.9 never does. A test device, not what the jar ships.
     */
    @Test
    void theOpenSslBuildLoadsUnderItsOwnNameAndServesAHandshake() throws Exception {
        Path jar = Path.of(System.getProperty("chartgate.jar", "target/chartgate.jar"));
        Path copy = dir.resolve("chartgate-openssl-3.0.jar");
        String library = "META-INF/native/libnetty_tcnative_chartgate_openssl_linux_x86_64.so";
        try (ZipFile in = new ZipFile(jar.toFile());
             ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(copy))) {
            assertTrue(in.getEntry(library) != null, "the jar holds no x86-64 OpenSSL build");
            for (ZipEntry entry : java.util.Collections.list(in.entries())) {
                byte[] bytes = in.getInputStream(entry).readAllBytes();
                out.putNextEntry(new ZipEntry(entry.getName()));
                out.write(entry.getName().equals(library) ? weakVersionNeed(bytes, "OPENSSL_3.2.0") : bytes);
                out.closeEntry();
            }
        }
        try (Started gateway = start("openssl", Map.of(), copy)) {
            String line = gateway.engineLine();
            assertFalse(line.contains("libssl.so.3: cannot open") || line.contains("libapr-1.so.0: cannot open"),
                    () -> "apt-get install libssl3 libapr1 (scripts/test.sh installs them): " + line);
            assertTrue(line.startsWith("chartgate: TLS engine: openssl (OpenSSL 3."), line);
            assertServes(gateway);
        }
    }

    /** {@code elf} (ELF64, little-endian) with its need of symbol version {@code version} marked weak (VER_FLG_WEAK). */
    static byte[] weakVersionNeed(byte[] elf, String version) {
        ByteBuffer b = ByteBuffer.wrap(elf).order(ByteOrder.LITTLE_ENDIAN);
        long sectionHeaders = b.getLong(0x28);
        int size = Short.toUnsignedInt(b.getShort(0x3A));
        int count = Short.toUnsignedInt(b.getShort(0x3C));
        for (int i = 0; i < count; i++) {
            int header = (int) (sectionHeaders + (long) i * size);
            if (b.getInt(header + 4) != 0x6ffffffe) { // SHT_GNU_verneed
                continue;
            }
            int strings = (int) b.getLong((int) (sectionHeaders + (long) b.getInt(header + 0x28) * size) + 0x18);
            int need = (int) b.getLong(header + 0x18);
            for (int n = 0; n < b.getInt(header + 0x2C); n++) {
                int aux = need + b.getInt(need + 8);
                for (int a = 0; a < Short.toUnsignedInt(b.getShort(need + 2)); a++) {
                    int name = strings + b.getInt(aux + 8);
                    int end = name;
                    while (elf[end] != 0) {
                        end++;
                    }
                    if (new String(elf, name, end - name, StandardCharsets.US_ASCII).equals(version)) {
                        b.putShort(aux + 4, (short) (b.getShort(aux + 4) | 2));
                        return elf;
                    }
                    aux += b.getInt(aux + 12);
                }
                need += b.getInt(need + 12);
            }
        }
        throw new AssertionError("the library needs no " + version + " (the OpenSSL build changed: revisit this test)");
    }

    @Test
    void openSslThatCannotLoadFallsBackToBoringSslAndSaysWhy() throws Exception {
        // a libssl.so.3 (and libcrypto.so.3) without OpenSSL's symbols, found first: as on a system with another libssl
        Path fake = Files.createDirectories(dir.resolve("fake-openssl"));
        Path anyLibrary = Path.of(System.getProperty("java.home"), "lib", "libzip.so");
        Files.copy(anyLibrary, fake.resolve("libssl.so.3"));
        Files.copy(anyLibrary, fake.resolve("libcrypto.so.3"));
        try (Started gateway = start("openssl", Map.of("LD_LIBRARY_PATH", fake.toString()))) {
            String line = gateway.engineLine();
            assertTrue(line.startsWith("WARNING: chartgate: TLS engine: boringssl (BoringSSL), falling back from openssl: "
                    + "openssl did not load: "), line);
            assertTrue(line.contains("libnetty_tcnative_chartgate_openssl_"), "the library that did not load is named: " + line);
            assertServes(gateway);
        }
    }
}
