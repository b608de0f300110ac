package io.chartgate.policy;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The one path a request is judged and forwarded by. {@link #parse} decodes the request target once and
 * rejects anything ambiguous: dot segments (also hidden behind {@code ;} or encoding), encoded slashes and
 * backslashes, double encoding, control characters, invalid or overlong UTF-8, non-origin-form targets.
 * Policy sees {@link #path()}; the upstream receives {@link #encoded()}, the same path re-encoded, so the two
 * can never disagree.
 *
 * @param path the decoded path: starts with '/', no empty, '.' or '..' segments, a trailing '/' kept
 * @param rawQuery the query as the client sent it (without '?'), or null; passed on unchanged
 */
public record CanonicalPath(String path, String rawQuery) {

    /** The outcome of {@link #parse}: a canonical path, or the reason the target is refused (a 400). */
    public sealed interface Result permits Canonical, Rejected {
    }

    /** An accepted target. */
    public record Canonical(CanonicalPath path) implements Result {
    }

    /** A refused target with a reason fit for the client. */
    public record Rejected(String reason) implements Result {
    }

    /** Parses a request target as it appeared on the request line. Pure; never throws. */
    public static Result parse(String target) {
        if (target == null || target.isEmpty()) {
            return new Rejected("empty request target");
        }
        if (!target.startsWith("/")) {
            if (target.matches("(?s)[A-Za-z][A-Za-z0-9+.-]*://.*")) {
                return new Rejected("absolute-form request targets are not accepted (send the path only)");
            }
            if (target.equals("*")) {
                return new Rejected("asterisk-form request targets are not accepted");
            }
            return new Rejected("the request target must be a path starting with / (authority-form and CONNECT are not accepted)");
        }
        for (int i = 0; i < target.length(); i++) {
            char c = target.charAt(i);
            if (c <= 0x20 || c >= 0x7f) {
                return new Rejected("the request target holds a raw control character, space or non-ASCII byte (percent-encode it)");
            }
            if (c == '\\') {
                return new Rejected("the path holds a backslash");
            }
            if (c == '#') {
                return new Rejected("the request target holds a fragment (#)");
            }
        }
        int q = target.indexOf('?');
        String rawPath = q < 0 ? target : target.substring(0, q);
        String rawQuery = q < 0 ? null : target.substring(q + 1);

        byte[] bytes = new byte[rawPath.length()];
        int n = 0;
        for (int i = 0; i < rawPath.length(); i++) {
            char c = rawPath.charAt(i);
            if (c != '%') {
                bytes[n++] = (byte) c;
                continue;
            }
            int hi = i + 2 < rawPath.length() ? Character.digit(rawPath.charAt(i + 1), 16) : -1;
            int lo = hi >= 0 ? Character.digit(rawPath.charAt(i + 2), 16) : -1;
            if (hi < 0 || lo < 0) {
                return new Rejected("the path holds a % not followed by two hex digits");
            }
            int b = hi << 4 | lo;
            if (b == '/') {
                return new Rejected("the path holds an encoded slash (%2F)");
            }
            if (b == '\\') {
                return new Rejected("the path holds an encoded backslash (%5C)");
            }
            bytes[n++] = (byte) b;
            i += 2;
        }
        String decoded;
        try {
            decoded = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, 0, n))
                    .toString();
        } catch (CharacterCodingException e) {
            return new Rejected("the path is not valid UTF-8 once decoded (overlong or broken sequences are refused)");
        }
        for (int i = 0; i < decoded.length(); i++) {
            char c = decoded.charAt(i);
            if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) {
                return new Rejected("the path holds a control character or NUL");
            }
            if (c == '%' && i + 2 < decoded.length() && Character.digit(decoded.charAt(i + 1), 16) >= 0
                    && Character.digit(decoded.charAt(i + 2), 16) >= 0) {
                return new Rejected("the path is double-encoded (a % that would decode again)");
            }
        }
        List<String> segments = new ArrayList<>();
        for (String segment : decoded.split("/")) {
            if (segment.isEmpty()) {
                continue;
            }
            int semicolon = segment.indexOf(';');
            String bare = semicolon < 0 ? segment : segment.substring(0, semicolon);
            if (bare.equals(".") || bare.equals("..")) {
                return new Rejected("the path holds a '" + bare + "' segment");
            }
            if (semicolon >= 0) {
                // Tomcat and Jetty (Nexus, Artifactory) cut a segment at ';' where the policy would not: the
                // policy would judge x.tgz;.prov while such an upstream serves x.tgz. helm never sends one.
                return new Rejected("the path holds a ';' (a path parameter, which some servers cut off)");
            }
            segments.add(segment);
        }
        StringBuilder path = new StringBuilder();
        for (String s : segments) {
            path.append('/').append(s);
        }
        if (segments.isEmpty() || decoded.endsWith("/")) {
            path.append('/');
        }
        return new Canonical(new CanonicalPath(path.toString(), rawQuery));
    }

    /** The non-empty segments of the path, decoded. */
    public List<String> segments() {
        List<String> segments = new ArrayList<>();
        for (String s : path.split("/")) {
            if (!s.isEmpty()) {
                segments.add(s);
            }
        }
        return segments;
    }

    /** The path percent-encoded for the upstream: every byte outside RFC 3986 pchar and '/' is escaped. */
    public String encoded() {
        StringBuilder out = new StringBuilder(path.length() + 16);
        for (byte b : path.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (isPathChar(c)) {
                out.append((char) c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return out.toString();
    }

    /** The encoded path plus the query as sent, for the upstream request line. */
    public String encodedTarget() {
        return rawQuery == null ? encoded() : encoded() + "?" + rawQuery;
    }

    private static boolean isPathChar(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || "-._~!$&'()*+,;=:@/".indexOf(c) >= 0;
    }

    @Override
    public String toString() {
        return path;
    }
}
