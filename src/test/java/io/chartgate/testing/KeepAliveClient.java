package io.chartgate.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * One keep-alive HTTP/1.1 connection over TLS that sends requests exactly as written, {@code Host} included
 * (java.net.http will not send a Host of the test's choosing), and reads each response whole: by
 * {@code Content-Length} or chunked. Bodies are hashed as they arrive and kept only on request, so many clients
 * can fetch multi-megabyte indexes at once without holding them.
 */
public final class KeepAliveClient implements AutoCloseable {

    /** One response: status, headers by lower-case name, the body's length and SHA-256, and the body if kept. */
    public record Response(int status, String reason, Map<String, List<String>> headers, long length, String sha256,
            byte[] body) {

        /** The first value of header {@code name} (any case), or null. */
        public String header(String name) {
            List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
            return values == null || values.isEmpty() ? null : values.get(0);
        }

        /** The body as UTF-8 text; only for a response read with its body kept. */
        public String text() {
            if (body == null) {
                throw new IllegalStateException("the body was hashed, not kept");
            }
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private final SSLSocket socket;
    private final InputStream in;
    private final OutputStream out;
    private final String host;
    private final byte[] buffer = new byte[64 * 1024];

    private KeepAliveClient(SSLSocket socket, String host) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
        this.out = socket.getOutputStream();
        this.host = host;
    }

    /** Connects to {@code localhost:port} and completes the handshake; requests then carry {@code Host: localhost:port}. */
    public static KeepAliveClient connect(SSLContext context, int port) throws IOException {
        SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket();
        try {
            socket.connect(new InetSocketAddress("localhost", port), 5000);
            // generous: only a hung gateway trips it, never a slow machine
            socket.setSoTimeout(60_000);
            socket.startHandshake();
            return new KeepAliveClient(socket, "localhost:" + port);
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    /** A GET with the default Host, its body kept. */
    public Response get(String target, String... headers) throws IOException {
        return exchange("GET", target, null, true, headers);
    }

    /**
     * Sends one request and reads its response.
     *
     * @param headers name, value, name, value…; a {@code Host} here replaces the default one
     * @param body sent with its Content-Length when not null
     * @param keepBody whether the response body is kept (it is always hashed)
     */
    public Response exchange(String method, String target, byte[] body, boolean keepBody, String... headers) throws IOException {
        StringBuilder head = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\n");
        boolean hostGiven = false;
        for (int i = 0; i < headers.length; i += 2) {
            hostGiven |= headers[i].equalsIgnoreCase("host");
            head.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
        }
        if (!hostGiven) {
            head.append("Host: ").append(host).append("\r\n");
        }
        if (body != null) {
            head.append("Content-Length: ").append(body.length).append("\r\n");
        }
        head.append("\r\n");
        out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        if (body != null) {
            out.write(body);
        }
        out.flush();
        return read(method.equals("HEAD"), keepBody);
    }

    private Response read(boolean head, boolean keepBody) throws IOException {
        String statusLine = line();
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
            throw new IOException("not an HTTP/1.1 status line: " + statusLine);
        }
        int status = Integer.parseInt(parts[1]);
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (String line = line(); !line.isEmpty(); line = line()) {
            int colon = line.indexOf(':');
            headers.computeIfAbsent(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
                    .add(line.substring(colon + 1).trim());
        }
        MessageDigest digest = sha256();
        ByteArrayOutputStream kept = keepBody ? new ByteArrayOutputStream() : null;
        long length = 0;
        boolean bodyless = head || status == 304 || status == 204 || status / 100 == 1;
        List<String> chunked = headers.getOrDefault("transfer-encoding", List.of());
        List<String> declared = headers.getOrDefault("content-length", List.of());
        if (!bodyless && !chunked.isEmpty() && chunked.get(0).equalsIgnoreCase("chunked")) {
            while (true) {
                String size = line();
                int semicolon = size.indexOf(';');
                long n = Long.parseLong((semicolon < 0 ? size : size.substring(0, semicolon)).trim(), 16);
                if (n == 0) {
                    while (!line().isEmpty()) {
                        // trailers: none expected, skipped
                    }
                    break;
                }
                copy(n, digest, kept);
                length += n;
                line();
            }
        } else if (!bodyless && !declared.isEmpty()) {
            length = Long.parseLong(declared.get(0));
            copy(length, digest, kept);
        } else if (!bodyless) {
            throw new IOException("a response with neither Content-Length nor chunked body: " + statusLine + " " + headers);
        }
        return new Response(status, parts.length > 2 ? parts[2] : "", headers, length,
                HexFormat.of().formatHex(digest.digest()), kept == null ? null : kept.toByteArray());
    }

    private void copy(long n, MessageDigest digest, ByteArrayOutputStream kept) throws IOException {
        long left = n;
        while (left > 0) {
            int read = in.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (read < 0) {
                throw new EOFException("the connection closed with " + left + " of " + n + " body bytes unread");
            }
            digest.update(buffer, 0, read);
            if (kept != null) {
                kept.write(buffer, 0, read);
            }
            left -= read;
        }
    }

    private String line() throws IOException {
        StringBuilder line = new StringBuilder();
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("the connection closed mid-response" + (line.length() > 0 ? " after: " + line : ""));
            }
            if (b == '\n') {
                int end = line.length();
                return end > 0 && line.charAt(end - 1) == '\r' ? line.substring(0, end - 1) : line.toString();
            }
            line.append((char) b);
        }
    }

    /** Hex SHA-256 of {@code bytes}, the form {@link Response#sha256()} has. */
    public static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(sha256().digest(bytes));
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JVM", e);
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
