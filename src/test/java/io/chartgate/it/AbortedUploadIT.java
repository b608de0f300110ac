package io.chartgate.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chartgate.testing.GatewayHarness;
import io.chartgate.testing.NettyLeaks;
import io.chartgate.testing.NginxServer;
import io.chartgate.testing.Resources;
import io.chartgate.testing.TestPki;
import io.chartgate.testing.TlsClients;
import io.netty.util.ResourceLeakDetector;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Uploads the gateway holds back and then drops (a refused upload whose body keeps coming, a client that breaks
 * off) must give back every pooled buffer: the connection is paused meanwhile, and what waits in a paused
 * connection's queue is what Vert.x drops unreleased on close ({@code server/HeapRequestContent}).
 */
class AbortedUploadIT {

    @TempDir
    static Path dir;

    private static NginxServer nginx;
    private static GatewayHarness gateway;
    private static SSLContext bob;

    @BeforeAll
    static void start() throws IOException {
        TestPki pki = TestPki.create(dir, "IT CA");
        pki.server("localhost").issue();
        TestPki.Issued issued = pki.client("bob").ou("engineering").issue();
        nginx = NginxServer.start(Files.createDirectories(dir.resolve("repo")));
        gateway = GatewayHarness.start(dir, """
                server:
                  host: 127.0.0.1
                  port: 0
                  tls: { certFile: localhost.crt, keyFile: localhost.key, clientCaFile: ca.crt }
                  limits: { maxBodyBytes: 16777216 }
                admin: { port: 0 }
                routes:
                  - { name: museum, prefix: /, upstream: { type: http, url: "%s" } }
                policy:
                  rules:
                    - { name: devs, match: { ou: engineering }, read: ["/**"], write: ["/charts/**"] }
                """.formatted(nginx.baseUrl()));
        bob = TlsClients.context(issued, pki.caFile());
    }

    @AfterAll
    static void stop() {
        Resources.closeAll(gateway, nginx);
    }

    @Test
    void uploadsBrokenOffWhileHeldBackLeakNoBuffer() throws Exception {
        assertEquals(ResourceLeakDetector.Level.PARANOID, ResourceLeakDetector.getLevel(),
                "the build runs tests with io.netty.leakDetection.level=paranoid (pom.xml)");
        NettyLeaks.collect(); // what earlier classes left is theirs
        for (int i = 0; i < 3; i++) {
            // refused by the policy and by the declared length before anything goes upstream; and a chunked body that
            // streams to the upstream (held back whenever the upstream is slower) until it crosses maxBodyBytes
            upload("PUT /forbidden/x-" + i + ".tgz HTTP/1.1\r\nHost: localhost\r\nContent-Length: 25165824\r\n\r\n", "403");
            upload("PUT /charts/big-" + i + ".tgz HTTP/1.1\r\nHost: localhost\r\nContent-Length: 25165824\r\n\r\n", "413");
            upload("PUT /charts/chunked-" + i + ".tgz HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n", "413");
        }
        List<String> leaks = NettyLeaks.collect();
        assertEquals(List.of(), leaks, leaks.size() + " buffers leaked");
    }

    /** Sends the head and 24 MiB of body as fast as the gateway takes it, and reads what it answers. */
    private static void upload(String head, String status) throws IOException {
        boolean chunked = head.contains("chunked");
        byte[] chunk = new byte[64 * 1024];
        byte[] framed = chunked ? frame(chunk) : chunk;
        try (SSLSocket socket = (SSLSocket) bob.getSocketFactory().createSocket("127.0.0.1", gateway.port())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            try {
                for (int sent = 0; sent < 384; sent++) {
                    out.write(framed);
                }
                out.flush();
            } catch (IOException closed) {
                // the gateway answered and closed while the body was still coming: that is the case
            }
            String answer = readAll(socket.getInputStream());
            assertTrue(answer.isEmpty() || answer.startsWith("HTTP/1.1 " + status + " "), answer);
        }
    }

    private static byte[] frame(byte[] chunk) {
        byte[] head = (Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] framed = new byte[head.length + chunk.length + 2];
        System.arraycopy(head, 0, framed, 0, head.length);
        System.arraycopy(chunk, 0, framed, head.length, chunk.length);
        framed[framed.length - 2] = '\r';
        framed[framed.length - 1] = '\n';
        return framed;
    }

    private static String readAll(InputStream in) {
        StringBuilder text = new StringBuilder();
        byte[] buffer = new byte[8192];
        try {
            for (int n; (n = in.read(buffer)) > 0; ) {
                text.append(new String(buffer, 0, n, StandardCharsets.ISO_8859_1));
            }
        } catch (IOException reset) {
            // a reset after the answer: what was read counts
        }
        return text.toString();
    }
}
