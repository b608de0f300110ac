package io.chartgate.proxy;

import io.chartgate.config.Cidr;
import io.chartgate.config.ForwardClientCert;
import io.chartgate.identity.ClientIdentity;
import io.chartgate.upstream.HopByHop;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The headers an upstream receives: the client's, minus hop-by-hop headers and every identity or
 * forwarding header a client could spoof, plus the ones only the gateway may set ({@code X-Forwarded-*},
 * {@code X-Request-Id}, and the verified client certificate per {@code forwardClientCert}).
 */
public final class ForwardedHeaders {

    public static final String REQUEST_ID = "X-Request-Id";
    static final String XFCC = "X-Forwarded-Client-Cert";
    static final String CLIENT_CERT = "Client-Cert";

    private static final Pattern SANE_REQUEST_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    private ForwardedHeaders() {
    }

    /** The client's request id when it is sane (short, plain characters), else null. */
    public static String saneRequestId(String candidate) {
        return candidate != null && SANE_REQUEST_ID.matcher(candidate).matches() ? candidate : null;
    }

    /** Headers upstreams (or frameworks in front of them) may take as a user, or as a different method or path. */
    private static final java.util.Set<String> OVERRIDES = java.util.Set.of("x-http-method-override", "x-http-method",
            "x-method-override", "x-original-url", "x-original-uri", "x-rewrite-url", "remote-user", "x-remote-user",
            "x-auth-request-user", "x-user");

    /**
     * Parts of a header name that assert something about the client (its certificate, its DN, its address) as
     * a TLS terminator would: {@code X-SSL-Client-Cert}, {@code X-ARR-ClientCert}, {@code X-Amzn-Mtls-Clientcert},
     * {@code X-Client-DN}, {@code True-Client-IP}, {@code CF-Connecting-IP}, and the names not yet invented
     * that follow the same words.
     */
    private static final List<String> CLIENT_ASSERTIONS = List.of("client-cert", "clientcert", "client-dn",
            "client-verify", "client-ip", "ssl-client", "ssl-cert", "mtls", "real-ip", "connecting-ip");

    /**
     * Whether a client-sent header must never reach an upstream, by rule rather than by list: any header that
     * asserts a hop ({@code Forwarded}, every {@code X-Forwarded-*}, {@code X-Request-Id}) or a client
     * ({@link #CLIENT_ASSERTIONS}); only the gateway may assert those. Also headers that change the method, path
     * or user the policy judged, and names with '_', since CGI-style upstreams read {@code X_Forwarded_For} as
     * {@code X-Forwarded-For}.
     */
    static boolean isSpoofable(String name) {
        return isSpoofableLowerCase(name.toLowerCase(Locale.ROOT));
    }

    /** {@link #isSpoofable} of a name already in lower case. */
    private static boolean isSpoofableLowerCase(String n) {
        if (n.indexOf('_') >= 0 || OVERRIDES.contains(n) || n.equals("forwarded") || n.startsWith("x-forwarded-")
                || n.equals("x-request-id")) {
            return true;
        }
        for (String assertion : CLIENT_ASSERTIONS) {
            if (n.contains(assertion)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Builds the upstream's request headers. {@code Host}, {@code Content-Length} and credentials are the
     * upstream adapter's to set.
     */
    public static MultiMap forUpstream(HttpServerRequest request, ClientIdentity identity, X509Certificate certificate,
            ForwardClientCert mode, List<Cidr> trustedProxies, String requestId) {
        MultiMap in = request.headers();
        MultiMap out = MultiMap.caseInsensitiveMultiMap();
        // one pass over the client's headers, keeping what may go on (copying all, then removing, cost twice as much)
        java.util.Set<String> named = connectionNamed(in);
        for (Map.Entry<String, String> header : in) {
            String name = header.getKey().toLowerCase(Locale.ROOT);
            if (!HopByHop.HEADERS.contains(name) && (named == null || !named.contains(name)) && !isSpoofableLowerCase(name)
                    && !name.equals("host") && !name.equals("content-length") && !name.equals("expect")) {
                out.add(header.getKey(), header.getValue());
            }
        }

        String peer = request.connection().remoteAddress().hostAddress();
        String forwardedFor = peer;
        if (isTrusted(peer, trustedProxies)) {
            List<String> previous = in.getAll("x-forwarded-for");
            if (!previous.isEmpty()) {
                forwardedFor = String.join(", ", previous) + ", " + peer;
            }
        }
        out.set("X-Forwarded-For", forwardedFor);
        out.set("X-Forwarded-Proto", "https");
        if (request.authority() != null) {
            out.set("X-Forwarded-Host", request.authority().toString());
        }
        out.set(REQUEST_ID, requestId);
        if (certificate != null && !identity.isAnonymous()) {
            if (mode == ForwardClientCert.XFCC || mode == ForwardClientCert.BOTH) {
                out.set(XFCC, xfcc(identity));
            }
            if (mode == ForwardClientCert.RFC9440 || mode == ForwardClientCert.BOTH) {
                out.set(CLIENT_CERT, rfc9440(certificate));
            }
        }
        return out;
    }

    /** The header names every {@code Connection} header lists, lower-cased; null when there is none. */
    private static java.util.Set<String> connectionNamed(MultiMap headers) {
        java.util.Set<String> named = null;
        for (String connection : headers.getAll("connection")) {
            for (String name : connection.split(",")) {
                String n = name.trim().toLowerCase(Locale.ROOT);
                if (!n.isEmpty()) {
                    if (named == null) {
                        named = new java.util.HashSet<>();
                    }
                    named.add(n);
                }
            }
        }
        return named;
    }

    /** Envoy's form: {@code Hash=…;Subject="…";URI=…;DNS=…}. */
    static String xfcc(ClientIdentity id) {
        StringBuilder out = new StringBuilder("Hash=").append(id.fingerprint());
        out.append(";Subject=\"").append(id.subject().rfc4514().replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
        for (String uri : id.sanUri()) {
            out.append(";URI=").append(quoteIfNeeded(uri));
        }
        for (String dns : id.sanDns()) {
            out.append(";DNS=").append(quoteIfNeeded(dns));
        }
        return out.toString();
    }

    /** RFC 9440: the DER certificate as a structured-field byte sequence. */
    static String rfc9440(X509Certificate certificate) {
        try {
            return ":" + Base64.getEncoder().encodeToString(certificate.getEncoded()) + ":";
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException("a verified certificate cannot be encoded", e);
        }
    }

    private static String quoteIfNeeded(String value) {
        if (value.indexOf(',') < 0 && value.indexOf(';') < 0 && value.indexOf('=') < 0 && value.indexOf('"') < 0) {
            return value;
        }
        return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private static boolean isTrusted(String peer, List<Cidr> trustedProxies) {
        if (trustedProxies.isEmpty() || peer == null) {
            return false;
        }
        try {
            InetAddress address = InetAddress.getByName(peer);
            return trustedProxies.stream().anyMatch(c -> c.contains(address));
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
