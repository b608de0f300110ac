package io.chartgate.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * A real nginx serving a directory as a static Helm chart repository (GET, HEAD, and WebDAV PUT and DELETE) on
 * 127.0.0.1, recording every request it received in a JSON access log that {@link #received()} reads back.
 *
 * <p>Typical use:
 * <pre>{@code
 * try (NginxServer nginx = NginxServer.start(repoDir)) {
 *     ... point the gateway at nginx.baseUrl(), send requests through it ...
 *     List<ReceivedRequest> seen = nginx.awaitReceived(1, Duration.ofSeconds(5));
 * }
 * }</pre>
 *
 * <p>nginx writes a request's log line only after it has sent the response, so a client can hold the response
 * before the line exists: assert on {@link #awaitReceived(int, Duration)}, not on {@link #received()}, right after
 * a request. A missing nginx fails the test with the install step; it never skips it.
 */
public final class NginxServer implements AutoCloseable {

    /**
     * What nginx received for one request, as its access log recorded it.
     *
     * @param connection nginx's serial number of the client connection the request came on ({@code $connection})
     * @param connectionRequests which request on that connection it was, from 1 ({@code $connection_requests}): a
     *     value above 1 proves the client kept the connection from an earlier request
     */
    public record ReceivedRequest(String method, String uri, int status, Map<String, String> headers, long connection,
            int connectionRequests) {

        public ReceivedRequest {
            headers = Map.copyOf(headers);
        }

        /** The value of request header {@code name} (any case), or {@code null} when it was absent or empty. */
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /**
     * The request headers the access log records, by lower-case name. They are the ones a gateway must set,
     * rewrite or strip (forwarding, client-certificate, hop-by-hop, credentials), so tests can see what passed.
     */
    public static final List<String> RECORDED_HEADERS = List.of(
            "host", "authorization", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-request-id",
            "x-forwarded-client-cert", "client-cert", "connection", "te", "upgrade", "x-client-cert",
            "x-ssl-client-cert", "proxy-authorization", "transfer-encoding", "content-length", "content-encoding",
            "if-none-match", "if-modified-since");

    static final String MISSING_NGINX = "nginx is required by the integration tests and was not found; "
            + "run scripts/test.sh, which installs it (apt-get install nginx-light)";

    private static final Path DEBIAN_BINARY = Path.of("/usr/sbin/nginx");
    private static final int START_ATTEMPTS = 5;
    private static final Duration START_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path root;
    private final Path workDir;
    private final int port;
    private final Process process;
    private final Path accessLog;
    private final Thread shutdownHook;
    private boolean stopped;

    private NginxServer(Path root, Path workDir, int port, Process process) {
        this.root = root;
        this.workDir = workDir;
        this.port = port;
        this.process = process;
        this.accessLog = workDir.resolve("access.json");
        // A test that dies before close() must not leave nginx holding a port after the JVM exits.
        this.shutdownHook = new Thread(this::kill, "nginx-" + port + "-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /**
     * Starts nginx serving {@code root} on a free port of 127.0.0.1 and returns once it accepts connections.
     *
     * @throws IllegalStateException when nginx is not installed or does not come up
     */
    public static NginxServer start(Path root) {
        Path docRoot = root.toAbsolutePath().normalize();
        if (!Files.isDirectory(docRoot)) {
            throw new IllegalArgumentException("not a directory: " + docRoot);
        }
        Path binary = findBinary();
        Path workDir;
        try {
            workDir = Files.createTempDirectory("chartgate-nginx-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String lastFailure = "";
        try {
            for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
                int port = freePort();
                Process process = launch(binary, workDir, docRoot, port);
                Startup outcome = awaitStartup(process, workDir, port);
                if (outcome == Startup.READY) {
                    return new NginxServer(docRoot, workDir, port, process);
                }
                terminate(process);
                lastFailure = diagnostics(workDir);
                if (outcome == Startup.FAILED) {
                    throw new IllegalStateException("nginx did not start on 127.0.0.1:" + port + "\n" + lastFailure);
                }
                // PORT_TAKEN: the port freed by ServerSocket(0) was grabbed by someone else before nginx bound it.
            }
        } catch (RuntimeException | Error e) {
            deleteRecursively(workDir);
            throw e;
        }
        deleteRecursively(workDir);
        throw new IllegalStateException("nginx found no free port in " + START_ATTEMPTS + " attempts\n" + lastFailure);
    }

    /** The port nginx listens on, on 127.0.0.1. */
    public int port() {
        return port;
    }

    /** {@code http://127.0.0.1:PORT}, without a trailing slash. */
    public String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    /** The directory served, absolute and normalised. */
    public Path root() {
        return root;
    }

    /**
     * Every request logged so far, oldest first. The line for a request appears only after its response was sent,
     * so right after a request use {@link #awaitReceived(int, Duration)} instead.
     */
    public synchronized List<ReceivedRequest> received() {
        if (stopped) {
            throw new IllegalStateException("nginx was stopped and its access log deleted with its working directory");
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(accessLog);
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // Header values are logged byte for byte; decoding leniently keeps a stray non-UTF-8 byte from hiding a line.
        String text = new String(bytes, StandardCharsets.UTF_8);
        // A line still being written has no newline yet; it is read on the next call.
        int complete = text.lastIndexOf('\n') + 1;
        List<ReceivedRequest> requests = new ArrayList<>();
        for (String line : text.substring(0, complete).split("\n")) {
            if (!line.isBlank()) {
                requests.add(parse(line));
            }
        }
        return List.copyOf(requests);
    }

    /**
     * Waits until at least {@code count} requests are logged and returns them all.
     *
     * @throws AssertionError when fewer than {@code count} are logged within {@code timeout}
     */
    public List<ReceivedRequest> awaitReceived(int count, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<ReceivedRequest> requests = received();
            if (requests.size() >= count) {
                return requests;
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new AssertionError("nginx logged " + requests.size() + " request(s) within " + timeout
                        + ", expected at least " + count + ": " + requests);
            }
            LockSupport.parkNanos(POLL_NANOS);
        }
    }

    /**
     * Every request logged before this call, once nginx has logged every request it finished before it: a marker
     * request is sent and waited for, and nginx's one worker logs requests in the order it finishes them. So a
     * client that has its whole response can count exactly what reached nginx, or assert that something did not.
     * The marker ({@code GET /.settle}, a 404) stays in the log, where later calls see it like any request.
     */
    public List<ReceivedRequest> settledReceived() {
        String marker = "settle-" + UUID.randomUUID();
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout((int) START_TIMEOUT.toMillis());
            socket.getOutputStream().write(("GET /.settle HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: " + marker
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            socket.getInputStream().readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("nginx did not answer the marker request", e);
        }
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (true) {
            List<ReceivedRequest> requests = received();
            for (int i = 0; i < requests.size(); i++) {
                if (marker.equals(requests.get(i).header("x-request-id"))) {
                    return requests.subList(0, i);
                }
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new AssertionError("nginx did not log the marker request within " + START_TIMEOUT + ": " + requests);
            }
            LockSupport.parkNanos(POLL_NANOS);
        }
    }

    /**
     * Forgets the requests logged so far. The file is truncated, not deleted, because nginx keeps appending to the
     * file it opened at start-up. A request whose response was already read may still be logged after this call.
     */
    public void clearLog() {
        try (FileChannel channel = FileChannel.open(accessLog, StandardOpenOption.WRITE)) {
            channel.truncate(0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops nginx (SIGTERM, then SIGKILL after 10 s) and deletes its working directory, logs included. */
    public synchronized void stop() {
        if (stopped) {
            return;
        }
        stopped = true;
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // The JVM is already shutting down and the hook is stopping nginx itself.
        }
        terminate(process);
        deleteRecursively(workDir);
    }

    /** Same as {@link #stop()}. */
    @Override
    public void close() {
        stop();
    }

    @Override
    public String toString() {
        return "nginx at " + baseUrl() + " serving " + root;
    }

    private void kill() {
        terminate(process);
    }

    private enum Startup { READY, PORT_TAKEN, FAILED }

    private static Path findBinary() {
        // Debian puts nginx in /usr/sbin, which is not on a non-root PATH; PATH wins when it has one.
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(File.pathSeparator)) {
                if (!dir.isEmpty()) {
                    Path candidate = Path.of(dir, "nginx");
                    if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                        return candidate;
                    }
                }
            }
        }
        if (Files.isRegularFile(DEBIAN_BINARY) && Files.isExecutable(DEBIAN_BINARY)) {
            return DEBIAN_BINARY;
        }
        throw new IllegalStateException(MISSING_NGINX);
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Process launch(Path binary, Path workDir, Path docRoot, int port) {
        try {
            // Each attempt starts from clean logs so a bind error from the previous port is not read as this one's.
            Files.deleteIfExists(workDir.resolve("error.log"));
            Files.deleteIfExists(workDir.resolve("access.json"));
            Files.deleteIfExists(workDir.resolve("nginx.pid"));
            Files.writeString(workDir.resolve("nginx.conf"), config(workDir, docRoot, port, runsAsRoot(workDir)));
            return new ProcessBuilder(binary.toString(), "-p", workDir + "/", "-c",
                    workDir.resolve("nginx.conf").toString(), "-g", "daemon off;")
                    .directory(workDir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(workDir.resolve("stderr.log").toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .start();
        } catch (IOException e) {
            throw new IllegalStateException(MISSING_NGINX + " (" + binary + ": " + e.getMessage() + ")", e);
        }
    }

    /**
     * Ready means the pid file names our process and the port accepts connections. nginx writes the pid file only
     * after it bound every listen socket, so a stranger that took the port cannot pass for nginx.
     */
    private static Startup awaitStartup(Process process, Path workDir, int port) {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        Path pidFile = workDir.resolve("nginx.pid");
        while (System.nanoTime() - deadline < 0) {
            if (!process.isAlive()) {
                return diagnostics(workDir).contains("Address already in use") ? Startup.PORT_TAKEN : Startup.FAILED;
            }
            // nginx retries a busy port for about 2.5 s before it gives up; no need to wait for that.
            if (diagnostics(workDir).contains("Address already in use")) {
                return Startup.PORT_TAKEN;
            }
            if (pidMatches(pidFile, process) && accepts(port)) {
                return Startup.READY;
            }
            LockSupport.parkNanos(POLL_NANOS);
        }
        return Startup.FAILED;
    }

    private static boolean pidMatches(Path pidFile, Process process) {
        try {
            return Files.readString(pidFile).strip().equals(Long.toString(process.pid()));
        } catch (IOException e) {
            return false;
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

    private static String diagnostics(Path workDir) {
        StringBuilder out = new StringBuilder();
        for (String name : List.of("stderr.log", "error.log")) {
            Path file = workDir.resolve(name);
            try {
                if (Files.exists(file)) {
                    out.append("--- ").append(name).append('\n').append(Files.readString(file));
                }
            } catch (IOException e) {
                out.append("--- ").append(name).append(" unreadable: ").append(e.getMessage()).append('\n');
            }
        }
        return out.toString();
    }

    /**
     * SIGTERM makes the nginx master stop its workers and exit; if it hangs, SIGKILL it and the workers it
     * would have stopped, which SIGKILL on the master alone would orphan.
     */
    private static void terminate(Process process) {
        List<ProcessHandle> children = process.descendants().toList();
        process.destroy();
        boolean exited;
        try {
            exited = process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            exited = false;
        }
        if (!exited) {
            process.destroyForcibly();
        }
        for (ProcessHandle child : children) {
            if (child.isAlive()) {
                child.destroyForcibly();
            }
        }
        try {
            process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * As root, nginx workers would switch to nobody and could not read a test's 0700 temp directories, so they
     * stay root; as anyone else the {@code user} directive is meaningless and nginx warns about it. The owner of
     * the directory this JVM just created is its effective uid.
     */
    private static boolean runsAsRoot(Path workDir) throws IOException {
        return Integer.valueOf(0).equals(Files.getAttribute(workDir, "unix:uid"));
    }

    static String config(Path workDir, Path docRoot, int port, boolean asRoot) {
        StringBuilder logFormat = new StringBuilder("'{\"method\":\"$request_method\",\"uri\":\"$request_uri\","
                + "\"status\":\"$status\",\"request_length\":\"$request_length\","
                + "\"content_length\":\"$content_length\",\"connection\":\"$connection\","
                + "\"connection_requests\":\"$connection_requests\",\"headers\":{");
        for (Iterator<String> it = RECORDED_HEADERS.iterator(); it.hasNext(); ) {
            String name = it.next();
            logFormat.append('"').append(name).append("\":\"$http_").append(name.replace('-', '_')).append('"');
            logFormat.append(it.hasNext() ? "," : "}}'");
        }
        String w = workDir.toAbsolutePath().toString();
        return (asRoot ? "user root root;\n" : "")
                + "worker_processes 1;\n"
                + "pid " + quote(w + "/nginx.pid") + ";\n"
                + "lock_file " + quote(w + "/nginx.lock") + ";\n"
                + "error_log " + quote(w + "/error.log") + " warn;\n"
                + "\n"
                + "events {\n"
                + "    worker_connections 256;\n"
                + "}\n"
                + "\n"
                + "http {\n"
                + "    default_type application/octet-stream;\n"
                + "    types {\n"
                + "        application/x-yaml yaml yml;\n"
                + "        application/json json;\n"
                + "        application/gzip tgz gz;\n"
                + "        text/plain prov txt;\n"
                + "    }\n"
                + "    server_tokens off;\n"
                + "\n"
                // escape=json logs an absent header as "" (not "-"), so "-" in a value is what the client sent.
                + "    log_format received escape=json\n        " + logFormat + ";\n"
                // No buffer=: each line is written as soon as its request ends.
                + "    access_log " + quote(w + "/access.json") + " received;\n"
                + "\n"
                + "    client_body_temp_path " + quote(w + "/client_body_temp") + ";\n"
                + "    proxy_temp_path " + quote(w + "/proxy_temp") + ";\n"
                + "    fastcgi_temp_path " + quote(w + "/fastcgi_temp") + ";\n"
                + "    uwsgi_temp_path " + quote(w + "/uwsgi_temp") + ";\n"
                + "    scgi_temp_path " + quote(w + "/scgi_temp") + ";\n"
                + "\n"
                // Keep X_Forwarded_For and the like: a gateway that lets them through must show up in the log.
                + "    underscores_in_headers on;\n"
                + "\n"
                + "    server {\n"
                + "        listen 127.0.0.1:" + port + ";\n"
                + "        root " + quote(docRoot.toString()) + ";\n"
                + "        autoindex off;\n"
                + "        client_max_body_size 0;\n"
                + "\n"
                + "        location / {\n"
                + "            dav_methods PUT DELETE;\n"
                + "            create_full_put_path on;\n"
                + "            dav_access user:rw group:r all:r;\n"
                + "        }\n"
                // an upstream that sends index.yaml.gz gzip-encoded whatever the client accepts
                + "        location /gz/ {\n"
                + "            gzip_static always;\n"
                + "        }\n"
                + "    }\n"
                + "}\n";
    }

    /** nginx has no escape for {@code $} (it starts a variable in {@code root}), so such paths are refused. */
    private static String quote(String value) {
        for (char c : value.toCharArray()) {
            if (c == '$' || c < 0x20) {
                throw new IllegalArgumentException("nginx cannot be configured with the path " + value);
            }
        }
        return '"' + value.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }

    private static ReceivedRequest parse(String line) {
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (IOException e) {
            throw new IllegalStateException("unreadable nginx access log line: " + line, e);
        }
        Map<String, String> headers = new LinkedHashMap<>();
        JsonNode logged = node.path("headers");
        for (String name : RECORDED_HEADERS) {
            String value = logged.path(name).asText("");
            if (!value.isEmpty()) {
                headers.put(name, value);
            }
        }
        return new ReceivedRequest(node.path("method").asText(""), node.path("uri").asText(""),
                node.path("status").asInt(0), headers, node.path("connection").asLong(0),
                node.path("connection_requests").asInt(0));
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not delete nginx working directory " + dir, e);
        }
    }
}
