package io.chartgate.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An in-process fake standing in for a registry's token service (the {@code auth.token} realm of Docker's token
 * authentication), which no Debian package provides. It checks basic credentials and answers every scope asked
 * with a JWT granting it: RS256, signed with {@code key}, whose certificate travels in the {@code x5c} header and
 * must chain to the registry's {@code rootcertbundle}; {@code iss} and {@code aud} are the registry's issuer and
 * service. It records each request, so tests can count token fetches per scope.
 */
public final class TokenServer implements AutoCloseable {

    /** One token request: its Authorization header (null when none) and the scopes it asked for. */
    public record Request(String authorization, List<String> scopes, int status) {
    }

    private final HttpServer server;
    private final List<Request> requests = new CopyOnWriteArrayList<>();

    private TokenServer(HttpServer server) {
        this.server = server;
    }

    /**
     * @param user what basic credentials must name (with {@code password}); any other caller gets 401
     * @param lifetimeSeconds the tokens' {@code expires_in}
     */
    public static TokenServer start(String service, String issuer, PrivateKey key, X509Certificate certificate,
            String user, String password, long lifetimeSeconds) {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
            TokenServer tokens = new TokenServer(server);
            String expected = "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
            server.createContext("/token", exchange -> tokens.answer(exchange, expected, service, issuer, key, certificate,
                    lifetimeSeconds));
            server.start();
            return tokens;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code http://127.0.0.1:PORT/token}. */
    public String realm() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/token";
    }

    public List<Request> requests() {
        return List.copyOf(requests);
    }

    private void answer(HttpExchange exchange, String expected, String service, String issuer, PrivateKey key,
            X509Certificate certificate, long lifetime) throws IOException {
        List<String> scopes = new ArrayList<>();
        String query = exchange.getRequestURI().getRawQuery();
        if (query != null) {
            for (String pair : query.split("&")) {
                if (pair.startsWith("scope=")) {
                    scopes.add(URLDecoder.decode(pair.substring(6), StandardCharsets.UTF_8));
                }
            }
        }
        String authorization = exchange.getRequestHeaders().getFirst("Authorization");
        byte[] body;
        int status;
        if (!expected.equals(authorization)) {
            status = 401;
            body = "{\"errors\":[{\"code\":\"UNAUTHORIZED\"}]}".getBytes(StandardCharsets.UTF_8);
        } else {
            status = 200;
            String token = jwt(service, issuer, key, certificate, lifetime, scopes);
            body = new JsonObject().put("token", token).put("expires_in", lifetime)
                    .put("issued_at", Instant.now().toString()).encode().getBytes(StandardCharsets.UTF_8);
        }
        requests.add(new Request(authorization, List.copyOf(scopes), status));
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, body.length);
        exchange.getResponseBody().write(body);
        exchange.close();
    }

    private static String jwt(String service, String issuer, PrivateKey key, X509Certificate certificate, long lifetime,
            List<String> scopes) {
        try {
            JsonObject header = new JsonObject().put("typ", "JWT").put("alg", "RS256")
                    .put("x5c", new JsonArray().add(Base64.getEncoder().encodeToString(certificate.getEncoded())));
            JsonArray access = new JsonArray();
            for (String scope : scopes) {
                // type:name:actions, where only the name may hold ':' (a registry host with a port)
                int first = scope.indexOf(':');
                int last = scope.lastIndexOf(':');
                if (first < 0 || last == first) {
                    continue;
                }
                JsonArray actions = new JsonArray();
                for (String action : scope.substring(last + 1).split(",")) {
                    actions.add(action);
                }
                access.add(new JsonObject().put("type", scope.substring(0, first)).put("name", scope.substring(first + 1, last))
                        .put("actions", actions));
            }
            long now = Instant.now().getEpochSecond();
            JsonObject claims = new JsonObject().put("iss", issuer).put("sub", "gateway").put("aud", service)
                    .put("exp", now + lifetime).put("nbf", now - 10).put("iat", now).put("jti", UUID.randomUUID().toString())
                    .put("access", access);
            Base64.Encoder url = Base64.getUrlEncoder().withoutPadding();
            String signingInput = url.encodeToString(header.encode().getBytes(StandardCharsets.UTF_8)) + "."
                    + url.encodeToString(claims.encode().getBytes(StandardCharsets.UTF_8));
            Signature rsa = Signature.getInstance("SHA256withRSA");
            rsa.initSign(key);
            rsa.update(signingInput.getBytes(StandardCharsets.US_ASCII));
            return signingInput + "." + url.encodeToString(rsa.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
