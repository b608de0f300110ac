package io.chartgate.it;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.chartgate.testing.GatewayHarness;
import io.chartgate.testing.NginxServer;
import io.chartgate.testing.Resources;
import io.chartgate.testing.TestPki;
import io.chartgate.testing.TlsClients;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What ordinary clients won't send, sent as raw bytes over mutual TLS to the real gateway in front of a real nginx:
 * ambiguous paths, non-origin-form targets, forbidden methods, request smuggling, oversize and malformed requests.
 * Every refusal must be the gateway's JSON error, and nothing of the refused request may reach nginx.
 *
 * <p>"Nothing reached nginx" is proven with a probe: nginx logs a request only after answering it, so after the bad
 * request one good request with a unique X-Request-Id is sent through the gateway, and once nginx has logged the
 * probe it must be the only line since the log was cleared.
 */
class RawRequestIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration NGINX_WAIT = Duration.ofSeconds(10);
    /** How long a connection that must be closed by the gateway may stay open. */
    private static final int CLOSE_WAIT_MILLIS = 5000;
    /** The status line of a well-formed HTTP/1.1 request's answer; %d is the status. */
    private static final String STATUS_LINE_1_1 = "HTTP/1\\.1 %d .*";
    /** The status line when the codec could not read the request line, and so not its version either. */
    private static final String STATUS_LINE_ANY_1_X = "HTTP/1\\.[01] %d .*";

    @TempDir
    static Path dir;

    private static TestPki pki;
    private static NginxServer nginx;
    private static GatewayHarness gateway;
    /** bob, OU engineering: policy lets him read everything and write /charts/**. */
    private static SSLContext bob;

    @BeforeAll
    static void start() throws IOException {
        pki = TestPki.create(dir, "IT CA");
        pki.server("localhost").issue();
        TestPki.Issued issued = pki.client("bob").ou("engineering").issue();
        Path repo = Files.createDirectories(dir.resolve("repo"));
        Files.writeString(repo.resolve("index.yaml"), "apiVersion: v1\nentries: {}\n");
        // the generic resource of these tests: index files are answered by the index step, cached (IndexPipelineIT)
        Files.writeString(repo.resolve("ping.txt"), "pong\n");
        nginx = NginxServer.start(repo);
        gateway = GatewayHarness.start(dir, """
                server:
                  host: 127.0.0.1
                  port: 0
                  tls: { certFile: localhost.crt, keyFile: localhost.key, clientCaFile: ca.crt }
                  limits: { maxHeaderBytes: 8192 }
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

    @BeforeEach
    void clearNginxLog() {
        nginx.clearLog();
    }

    // ---------------------------------------------------------------------------------------------------------
    // 1. canonical path

    @ParameterizedTest(name = "GET {0}")
    @ValueSource(strings = {
            "/charts/../secret",
            "/charts/..",
            "/..",
            "/charts/%2e%2e/secret",
            "/charts/%2E%2E/secret",
            "/charts/.%2e/secret",
            "/charts/..;/secret",
            "/charts/..;jsessionid=x/secret",
            "/charts/.;x/secret",
            "/charts/secret-1.0.0.tgz;.prov",
            "/charts/secret-1.0.0.tgz%3B.prov",
            "/charts;x/secret-1.0.0.tgz",
            "/charts%2F..%2Fsecret",
            "/charts/%2fsecret",
            "/charts/%5c..",
            "/charts/%5Csecret",
            "/charts/..\\secret",
            "/charts/%252e%252e/x",
            "/charts/%2541",
            "/charts/%c0%ae%c0%ae/x",
            "/charts/%ff/x",
            "/charts/%e2%82/x",
            "/charts/%00x",
            "/charts/%0d%0aX-Injected:%20yes",
            "/charts/%09x",
            "/charts/%7f",
            "/charts/%c2%85",
            "/charts/%zz",
            "/charts/%2",
            "/charts/x%",
            "/charts/./x",
            "/charts/.",
            "/./ping.txt",
            "/charts/x#frag",
    })
    void everyAmbiguousPathIsRefusedWithAJson400AndNeverReachesNginx(String target) throws Exception {
        Response response = exchange("GET " + target + " HTTP/1.1\r\nHost: localhost\r\n\r\n", false).first();

        assertJsonError(response, 400, "bad_request");
        assertNothingReachedNginx();
    }

    // ---------------------------------------------------------------------------------------------------------
    // 2. request-target forms and methods

    @Test
    void anAbsoluteFormTargetIsRefusedWithAJson400AndNeverReachesNginx() throws Exception {
        Response response = exchange("GET http://evil.example/ping.txt HTTP/1.1\r\nHost: evil.example\r\n\r\n", false)
                .first();

        assertJsonError(response, 400, "bad_request");
        assertNothingReachedNginx();
    }

    @Test
    void anAbsoluteFormTargetNamingTheGatewayItselfIsRefusedToo() throws Exception {
        Response response = exchange("GET https://localhost:" + gateway.port() + "/ping.txt HTTP/1.1\r\n"
                + "Host: localhost\r\n\r\n", false).first();

        assertJsonError(response, 400, "bad_request");
        assertNothingReachedNginx();
    }

    @Test
    void connectIsRefusedWithAJson400BecauseCanonicalizationRunsFirst() throws Exception {
        Response response = exchange("CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n", false)
                .first();

        assertJsonError(response, 400, "bad_request");
        assertNothingReachedNginx();
    }

    @ParameterizedTest(name = "{0} /ping.txt")
    @ValueSource(strings = {"OPTIONS", "TRACE"})
    void methodsThatAreNeitherReadNorWriteGetAJson405AndNeverReachNginx(String method) throws Exception {
        Response response = exchange(method + " /ping.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
                false).first();

        assertJsonError(response, 405, "method_not_allowed");
        assertNothingReachedNginx();
    }

    // ---------------------------------------------------------------------------------------------------------
    // 3. request smuggling: the refusal must come from the framing checks (bob may write /charts/**)

    /**
     * CL.TE. Netty follows RFC 9112 section 6.3 here: Transfer-Encoding chunked overrides the Content-Length, which
     * it silently removes before the gateway sees the request, so the gateway cannot tell this from a clean chunked
     * upload. At minimum, then: /smuggled (the request hidden behind the 6 declared bytes) and the pipelined request
     * after it never reach nginx, and nothing but the one legitimate POST may.
     */
    @ParameterizedTest(name = "Content-Length: 6 + Transfer-Encoding:{0}")
    @ValueSource(strings = {" chunked", "\tchunked", "  chunked", "chunked\t", " Chunked"})
    void contentLengthWithTransferEncodingChunkedNeverLetsTheHiddenRequestReachNginx(String value) throws Exception {
        String pipelinedId = "pipelined-" + UUID.randomUUID();
        Wire wire = exchange("POST /charts/x.tgz HTTP/1.1\r\n"
                + "Host: localhost\r\n"
                + "Content-Length: 6\r\n"
                + "Transfer-Encoding:" + value + "\r\n"
                + "\r\n"
                + "0\r\n\r\n"
                + "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
                + pipelined(pipelinedId), true);

        assertOnlyTheProbeReachedNginxBesides(
                r -> r.method().equals("POST") && r.uri().equals("/charts/x.tgz"),
                "the gateway answered (connection " + (wire.closed() ? "closed" : "left open") + "):\n" + wire.text());
    }

    /** TE.CL: a Transfer-Encoding the gateway does not accept, with a Content-Length that frames the body. */
    @ParameterizedTest(name = "Transfer-Encoding: {0}")
    @ValueSource(strings = {"xchunked", "chunked, identity", "identity, chunked", "identity", "gzip, chunked",
            "chunked;q=1"})
    void anObfuscatedTransferEncodingWithAContentLengthIsRefusedAndTheConnectionClosed(String value) throws Exception {
        assertFramingRefused("POST /charts/x.tgz HTTP/1.1\r\n"
                + "Host: localhost\r\n"
                + "Transfer-Encoding: " + value + "\r\n"
                + "Content-Length: 5\r\n"
                + "\r\n"
                + "0\r\n\r\n"
                + "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n", STATUS_LINE_1_1);
    }

    /** TE.TE: a second Transfer-Encoding header that a chunked-only check reading the first one would miss. */
    @Test
    void twoTransferEncodingHeadersWithAContentLengthAreRefusedAndTheConnectionClosed() throws Exception {
        assertFramingRefused("POST /charts/x.tgz HTTP/1.1\r\n"
                + "Host: localhost\r\n"
                + "Transfer-Encoding: chunked\r\n"
                + "Transfer-Encoding: identity\r\n"
                + "Content-Length: 5\r\n"
                + "\r\n"
                + "0\r\n\r\n"
                + "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n", STATUS_LINE_1_1);
    }

    @Test
    void whitespaceBetweenTheTransferEncodingNameAndColonIsRefusedAndTheConnectionClosed() throws Exception {
        assertFramingRefused("POST /charts/x.tgz HTTP/1.1\r\n"
                + "Host: localhost\r\n"
                + "Content-Length: 5\r\n"
                + "Transfer-Encoding : chunked\r\n"
                + "\r\n"
                + "0\r\n\r\n"
                + "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n", STATUS_LINE_1_1);
    }

    /** CL.CL and lengths that parsers disagree on. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
            "Content-Length: 5\r\nContent-Length: 6",
            "Content-Length: 6\r\nContent-Length: 5",
            "Content-Length: 5, 6",
            "Content-Length: -1",
            "Content-Length: +5",
            "Content-Length: 0x5",
    })
    void conflictingOrInvalidContentLengthsAreRefusedAndTheConnectionClosed(String contentLength) throws Exception {
        assertFramingRefused("POST /charts/x.tgz HTTP/1.1\r\n"
                + "Host: localhost\r\n"
                + contentLength + "\r\n"
                + "\r\n"
                + "hello\n"
                + "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n", STATUS_LINE_1_1);
    }

    // ---------------------------------------------------------------------------------------------------------
    // 4. oversize

    @Test
    void aHeaderLineOf20000BytesGetsAJson400AndTheConnectionIsClosed() throws Exception {
        assertFramingRefused("GET /ping.txt HTTP/1.1\r\n"
                + "Host: localhost\r\n"
                + "X-Big: " + "a".repeat(20_000) + "\r\n"
                + "\r\n", STATUS_LINE_1_1);
    }

    /**
     * The codec gives up before it has read the version, so the answer may be HTTP/1.0 (Netty's stand-in request
     * for an unparsable request line); DESIGN asks for the JSON 400, not a 414.
     */
    @Test
    void aRequestLineOf10000BytesGetsAJson400AndTheConnectionIsClosed() throws Exception {
        assertFramingRefused("GET /charts/" + "a".repeat(10_000) + " HTTP/1.1\r\n"
                + "Host: localhost\r\n"
                + "\r\n", STATUS_LINE_ANY_1_X);
    }

    /**
     * A refused upload (bob may not write /private) with a request behind it: the gateway reads the body it will not
     * forward before it closes, so a client that writes its whole request before it reads (as Java's HTTP client
     * does) can write it and then read the 403, where a close at once reset the connection under its write; and the
     * request behind the body is still never served.
     */
    @Test
    void aRefusedUploadIsReadToItsEndSoTheClientGetsThe403AndTheRequestBehindItIsNeverServed() throws Exception {
        int length = 16 << 20; // more than the sockets' buffers hold
        String pipelinedId = "pipelined-" + UUID.randomUUID();
        Wire wire = exchange("PUT /private/x-1.0.0.tgz HTTP/1.1\r\n"
                + "Host: localhost\r\n"
                + "Content-Length: " + length + "\r\n"
                + "\r\n"
                + "x".repeat(length)
                + pipelined(pipelinedId), true);
        Response response = wire.first();

        assertAll(
                () -> assertTrue(wire.sentWhole(), "the connection was closed under the client's upload"),
                () -> assertJsonError(response, 403, "forbidden"),
                () -> assertEquals("close", response.header("connection"), "response:\n" + response.raw()),
                () -> assertTrue(wire.closed(), "the gateway must close the connection once the body is read"),
                () -> assertEquals("", response.rest(), "the request behind the body must get no answer"),
                () -> assertNothingReachedNginx());
    }

    /**
     * A refused upload whose client stops sending: the gateway waits for the rest of the body only while bytes keep
     * coming (5 s of quiet, nginx's lingering_timeout), not until the connection's idle timeout.
     */
    @Test
    void aRefusedUploadWhoseClientStopsSendingIsClosedAfterFiveQuietSeconds() throws Exception {
        Wire wire = exchange("PUT /private/x-1.0.0.tgz HTTP/1.1\r\n"
                + "Host: localhost\r\n"
                + "Content-Length: 1000000\r\n"
                + "\r\n"
                + "only these bytes", true, 20_000);

        assertAll(
                () -> assertJsonError(wire.first(), 403, "forbidden"),
                () -> assertTrue(wire.closed(), "still open 20 s after the client stopped sending"));
    }

    // ---------------------------------------------------------------------------------------------------------
    // 5. malformed

    /** As for the long request line, the version of the answer to an unparsable request line may be HTTP/1.0. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"GARBAGE", "GET", "GET /ping.txt", "GET /ping.txt HTTP/9.9", "GET /ping.txt HTTP/1.1 x"})
    void aMalformedRequestLineGetsAJson400AndTheConnectionIsClosed(String requestLine) throws Exception {
        assertFramingRefused(requestLine + "\r\n\r\n", STATUS_LINE_ANY_1_X);
    }

    // ---------------------------------------------------------------------------------------------------------
    // the probe itself, so a broken probe cannot make every test above pass vacuously

    @Test
    void theProbeRequestReachesNginxAndIsAnsweredWith200() throws Exception {
        String id = probe();
        List<NginxServer.ReceivedRequest> seen = nginx.received().stream().filter(r -> !isReadinessProbe(r)).toList();
        assertEquals(1, seen.size(), "nginx log: " + seen);
        assertEquals("/ping.txt", seen.get(0).uri());
        assertEquals(id, seen.get(0).header("x-request-id"));
    }

    @Test
    void aRequestThatDidReachNginxIsLoggedByTheTimeTheProbeIs() throws Exception {
        String earlier = "earlier-" + UUID.randomUUID();
        Response response = exchange("GET /charts/missing.tgz HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: " + earlier
                + "\r\n\r\n", false).first();
        assertEquals("HTTP/1.1 404 Not Found", response.statusLine());

        String id = probe();
        List<String> ids = nginx.received().stream().filter(r -> !isReadinessProbe(r))
                .map(r -> r.header("x-request-id")).toList();
        assertEquals(List.of(earlier, id), ids);
    }

    // ---------------------------------------------------------------------------------------------------------
    // helpers

    /**
     * Sends {@code raw} followed by a pipelined good request, and asserts a JSON 400 bad_request, the connection
     * closed by the gateway, no answer to the pipelined request, and nothing at all at nginx (every failing facet is
     * reported, not only the first).
     */
    private static void assertFramingRefused(String raw, String statusLinePattern) throws Exception {
        String pipelinedId = "pipelined-" + UUID.randomUUID();
        Wire wire = exchange(raw + pipelined(pipelinedId), true);
        Response response = wire.first();

        assertAll(
                () -> assertJsonError(response, statusLinePattern, 400, "bad_request"),
                () -> assertTrue(wire.closed(), "the gateway must close the connection; it stayed open for "
                        + CLOSE_WAIT_MILLIS + " ms after answering:\n" + wire.text()),
                () -> assertEquals("", response.rest(), "the pipelined request must get no answer; received:\n"
                        + wire.text()),
                () -> assertOnlyTheProbeReachedNginxBesides(r -> false, "the gateway answered:\n" + wire.text()));
    }

    private static String pipelined(String requestId) {
        return "GET /ping.txt HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: " + requestId + "\r\n\r\n";
    }

    private static void assertJsonError(Response response, int status, String code) throws IOException {
        assertJsonError(response, STATUS_LINE_1_1, status, code);
    }

    private static void assertJsonError(Response response, String statusLinePattern, int status, String code)
            throws IOException {
        String context = "response:\n" + response.raw();
        assertTrue(response.statusLine().matches(statusLinePattern.formatted(status)), context);
        assertFalse(response.reason().isBlank(), "the reason phrase must carry the short reason; " + context);
        String contentType = response.header("content-type");
        assertNotNull(contentType, "no content-type; " + context);
        assertTrue(contentType.toLowerCase(Locale.ROOT).startsWith("application/json"), context);
        JsonNode body = JSON.readTree(response.body());
        assertNotNull(body, "empty body; " + context);
        assertEquals(code, body.path("error").asText(null), context);
        assertTrue(body.path("message").isTextual() && !body.path("message").asText().isBlank(), context);
        assertTrue(body.path("requestId").isTextual() && !body.path("requestId").asText().isBlank(),
                "every gateway error carries a requestId; " + context);
    }

    /** Sends the probe and asserts that it is the only request nginx logged since the log was cleared. */
    private static void assertNothingReachedNginx() throws IOException {
        assertOnlyTheProbeReachedNginxBesides(r -> false, "");
    }

    /**
     * Sends the probe and asserts that, besides it and the gateway's own readiness probe, nginx logged only
     * requests that {@code tolerated} accepts, and never one for /smuggled.
     */
    private static void assertOnlyTheProbeReachedNginxBesides(Predicate<NginxServer.ReceivedRequest> tolerated,
            String context) throws IOException {
        String id = probe();
        List<NginxServer.ReceivedRequest> others = nginx.received().stream()
                .filter(r -> !id.equals(r.header("x-request-id")))
                .filter(r -> !isReadinessProbe(r))
                .toList();
        assertTrue(others.stream().noneMatch(r -> r.uri().contains("smuggled")),
                "/smuggled reached nginx: " + others + "\n" + context);
        assertTrue(others.stream().allMatch(tolerated),
                "requests that reached nginx besides the probe: " + others + "\n" + context);
    }

    /**
     * The gateway's background readiness check (HEAD on the upstream's base URL, every 5 s). Everything the
     * gateway forwards for a client carries an X-Request-Id; this request alone has none.
     */
    private static boolean isReadinessProbe(NginxServer.ReceivedRequest r) {
        return r.method().equals("HEAD") && r.uri().equals("/") && r.header("x-request-id") == null
                && r.header("x-forwarded-for") == null;
    }

    /** A good GET of a plain file through the gateway; returns once nginx has logged it. */
    private static String probe() throws IOException {
        String id = "probe-" + UUID.randomUUID();
        String raw = TlsClients.raw(bob, gateway.port(), "GET /ping.txt HTTP/1.1\r\nHost: localhost\r\n"
                + "X-Request-Id: " + id + "\r\nConnection: close\r\n\r\n");
        assertTrue(raw.startsWith("HTTP/1.1 200 "), "the probe failed:\n" + raw);
        long deadline = System.nanoTime() + NGINX_WAIT.toNanos();
        while (nginx.received().stream().noneMatch(r -> id.equals(r.header("x-request-id")))) {
            if (System.nanoTime() - deadline >= 0) {
                fail("nginx never logged the probe " + id + "; log: " + nginx.received());
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
        return id;
    }

    /** What came back on one connection, and whether the gateway closed it. */
    /** What came back, whether the gateway closed the connection, and whether the whole request could be written. */
    private record Wire(String text, boolean closed, boolean sentWhole) {
        Response first() {
            return Response.parse(text);
        }
    }

    /**
     * Sends {@code raw} as ISO-8859-1 bytes over a TLS connection presenting bob's certificate. With
     * {@code awaitClose}, reads until the gateway closes the connection (or {@link #CLOSE_WAIT_MILLIS} pass);
     * otherwise only until one complete response has arrived.
     */
    private static Wire exchange(String raw, boolean awaitClose) throws IOException {
        return exchange(raw, awaitClose, CLOSE_WAIT_MILLIS);
    }

    /** As {@link #exchange(String, boolean)}, waiting up to {@code waitMillis} for each read. */
    private static Wire exchange(String raw, boolean awaitClose, int waitMillis) throws IOException {
        try (SSLSocket socket = (SSLSocket) bob.getSocketFactory().createSocket()) {
            socket.connect(new InetSocketAddress("localhost", gateway.port()), 5000);
            socket.setSoTimeout(waitMillis);
            socket.startHandshake();
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            boolean sentWhole = true;
            try {
                OutputStream out = socket.getOutputStream();
                out.write(raw.getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
            } catch (IOException e) {
                // the gateway may close while a large request is still being written; its answer may still be readable
                sentWhole = false;
            }
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[8192];
            try {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    received.write(buffer, 0, n);
                    if (!awaitClose && Response.complete(received.toString(StandardCharsets.ISO_8859_1))) {
                        return new Wire(received.toString(StandardCharsets.ISO_8859_1), false, sentWhole);
                    }
                }
            } catch (SocketTimeoutException e) {
                return new Wire(received.toString(StandardCharsets.ISO_8859_1), false, sentWhole);
            } catch (IOException e) {
                // reset by the gateway: closed
            }
            return new Wire(received.toString(StandardCharsets.ISO_8859_1), true, sentWhole);
        }
    }

    /** The first HTTP/1.1 response in {@code raw}, and whatever followed it. */
    private record Response(String raw, String statusLine, String reason, Map<String, String> headers, String body,
            String rest) {

        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        static boolean complete(String text) {
            try {
                return parse(text) != null;
            } catch (AssertionError e) {
                return false;
            }
        }

        static Response parse(String text) {
            int headEnd = text.indexOf("\r\n\r\n");
            if (headEnd < 0) {
                throw new AssertionError("no complete HTTP response head in:\n" + text);
            }
            String[] lines = text.substring(0, headEnd).split("\r\n");
            String statusLine = lines[0];
            String[] parts = statusLine.split(" ", 3);
            String reason = parts.length == 3 ? parts[2] : "";
            Map<String, String> headers = new LinkedHashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                if (colon > 0) {
                    headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                            lines[i].substring(colon + 1).trim());
                }
            }
            int bodyStart = headEnd + 4;
            String length = headers.get("content-length");
            String encoding = headers.get("transfer-encoding");
            if (length != null) {
                int end = bodyStart + Integer.parseInt(length);
                if (end > text.length()) {
                    throw new AssertionError("truncated body in:\n" + text);
                }
                return new Response(text, statusLine, reason, headers, text.substring(bodyStart, end),
                        text.substring(end));
            }
            if (encoding != null && encoding.equalsIgnoreCase("chunked")) {
                StringBuilder body = new StringBuilder();
                int at = bodyStart;
                while (true) {
                    int lineEnd = text.indexOf("\r\n", at);
                    if (lineEnd < 0) {
                        throw new AssertionError("truncated chunked body in:\n" + text);
                    }
                    String sizeField = text.substring(at, lineEnd);
                    int semicolon = sizeField.indexOf(';');
                    int size = Integer.parseInt((semicolon < 0 ? sizeField : sizeField.substring(0, semicolon)).trim(), 16);
                    at = lineEnd + 2;
                    if (size == 0) {
                        int trailerEnd = text.indexOf("\r\n", at);
                        while (trailerEnd > at) {
                            at = trailerEnd + 2;
                            trailerEnd = text.indexOf("\r\n", at);
                        }
                        if (trailerEnd < 0) {
                            throw new AssertionError("truncated chunked body in:\n" + text);
                        }
                        at = trailerEnd + 2;
                        return new Response(text, statusLine, reason, headers, body.toString(), text.substring(at));
                    }
                    if (at + size + 2 > text.length()) {
                        throw new AssertionError("truncated chunked body in:\n" + text);
                    }
                    body.append(text, at, at + size);
                    at += size + 2;
                }
            }
            return new Response(text, statusLine, reason, headers, text.substring(bodyStart), "");
        }
    }
}
