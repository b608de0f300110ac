package io.chartgate.upstream.oci;

import io.chartgate.config.UpstreamAuth;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The gateway's own credentials for one registry. What the registry wants is learned once from the challenge
 * of an unauthenticated {@code GET /v2/}: nothing (200), basic, or a bearer token from the realm its
 * {@code WWW-Authenticate: Bearer realm=…,service=…} names. Tokens are fetched with the configured basic
 * credentials (anonymously without them) per scope and kept until shortly before they expire. Clients never see
 * any of it. Thread-safe: the event loops of one gateway share it.
 */
final class RegistryCredentials {

    /** What the registry asked for. */
    sealed interface Challenge permits NoAuth, Basic, Bearer {
    }

    record NoAuth() implements Challenge {
    }

    record Basic() implements Challenge {
    }

    record Bearer(URI realm, String service) implements Challenge {
    }

    private record Token(String value, long expiresAtNanos) {
    }

    /** A token response larger than this is not a token. */
    private static final int MAX_TOKEN_RESPONSE = 64 * 1024;
    /** Tokens kept at most; past it the cache starts over (a scope is one repository and action set). */
    private static final int MAX_TOKENS = 10_000;
    private static final Pattern PARAM = Pattern.compile("([A-Za-z]+)=\"([^\"]*)\"");

    private final HttpClient client;
    private final URI registry;
    private final UpstreamAuth.Basic basic;
    private final int timeoutMs;
    private final AtomicReference<Future<Challenge>> challenge = new AtomicReference<>();
    private final Map<String, Token> tokens = new ConcurrentHashMap<>();
    private final Map<String, Future<Token>> fetching = new ConcurrentHashMap<>();

    RegistryCredentials(HttpClient client, URI registry, UpstreamAuth.Basic basic, int timeoutMs) {
        this.client = client;
        this.registry = registry;
        this.basic = basic;
        this.timeoutMs = timeoutMs;
    }

    /** The Authorization header for a request needing {@code scopes}, or null when the registry wants none. */
    Future<String> authorization(List<String> scopes) {
        return challenge().compose(c -> {
            if (c instanceof Basic) {
                return Future.succeededFuture(basicHeader());
            }
            if (c instanceof Bearer bearer) {
                return token(bearer, scopes).map(t -> "Bearer " + t.value());
            }
            return Future.succeededFuture((String) null);
        });
    }

    /** The registry refused what was sent for {@code scopes}: ask it again what it wants, and fetch anew. */
    void refused(List<String> scopes) {
        tokens.remove(String.join(" ", scopes));
        challenge.set(null);
    }

    private String basicHeader() {
        if (basic == null) {
            return null;
        }
        String pair = basic.username() + ":" + basic.password().reveal();
        return "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8));
    }

    private Future<Challenge> challenge() {
        Future<Challenge> known = challenge.get();
        if (known != null && !known.failed()) {
            return known;
        }
        Promise<Challenge> asking = Promise.promise();
        if (!challenge.compareAndSet(known, asking.future())) {
            return challenge();
        }
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setAbsoluteURI(registry + "/v2/")
                .setConnectTimeout(timeoutMs).setIdleTimeout(timeoutMs);
        client.request(options).compose(HttpClientRequest::send).compose(response -> response.end().map(v -> {
            if (response.statusCode() == 200) {
                return (Challenge) new NoAuth();
            }
            if (response.statusCode() == 401) {
                return parse(response.getHeader("WWW-Authenticate"));
            }
            throw new IllegalStateException("the registry answered " + response.statusCode() + " to GET /v2/");
        })).onComplete(asking);
        return asking.future();
    }

    /** Reads a {@code WWW-Authenticate} challenge; an unknown scheme or a realm that is no http(s) URL fails. */
    static Challenge parse(String header) {
        if (header == null) {
            throw new IllegalStateException("the registry answered 401 without a WWW-Authenticate challenge");
        }
        String trimmed = header.trim();
        int space = trimmed.indexOf(' ');
        String scheme = (space < 0 ? trimmed : trimmed.substring(0, space)).toLowerCase(Locale.ROOT);
        if (scheme.equals("basic")) {
            return new Basic();
        }
        if (!scheme.equals("bearer")) {
            throw new IllegalStateException("the registry asks for " + scheme + " authentication (expected basic or bearer)");
        }
        Map<String, String> params = new LinkedHashMap<>();
        Matcher m = PARAM.matcher(trimmed.substring(space + 1));
        while (m.find()) {
            params.putIfAbsent(m.group(1).toLowerCase(Locale.ROOT), m.group(2));
        }
        String realm = params.get("realm");
        URI uri;
        try {
            uri = realm == null ? null : new URI(realm);
        } catch (java.net.URISyntaxException e) {
            uri = null;
        }
        if (uri == null || uri.getHost() == null || uri.getScheme() == null
                || !(uri.getScheme().equalsIgnoreCase("http") || uri.getScheme().equalsIgnoreCase("https"))) {
            throw new IllegalStateException("the registry's bearer challenge names no http(s) realm");
        }
        return new Bearer(uri, params.get("service"));
    }

    private Future<Token> token(Bearer bearer, List<String> scopes) {
        String key = String.join(" ", scopes);
        Token cached = tokens.get(key);
        if (cached != null && cached.expiresAtNanos() - System.nanoTime() > 0) {
            return Future.succeededFuture(cached);
        }
        // one fetch per scope at a time: a burst of pulls of one chart asks the realm once
        return fetching.computeIfAbsent(key, k -> fetch(bearer, scopes).andThen(ar -> {
            // the token is kept before the fetch is forgotten: a request on another event loop in between finds
            // one or the other, never neither (it fetched the same scope again)
            if (ar.succeeded()) {
                if (tokens.size() >= MAX_TOKENS) {
                    tokens.clear();
                }
                tokens.put(k, ar.result());
            }
            fetching.remove(k);
        }));
    }

    private Future<Token> fetch(Bearer bearer, List<String> scopes) {
        StringBuilder query = new StringBuilder();
        if (bearer.service() != null) {
            query.append("service=").append(URLEncoder.encode(bearer.service(), StandardCharsets.UTF_8));
        }
        for (String scope : scopes) {
            query.append(query.length() == 0 ? "" : "&").append("scope=").append(URLEncoder.encode(scope, StandardCharsets.UTF_8));
        }
        String realm = bearer.realm().toString();
        String url = query.length() == 0 ? realm : realm + (realm.contains("?") ? "&" : "?") + query;
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setAbsoluteURI(url)
                .setConnectTimeout(timeoutMs).setIdleTimeout(timeoutMs);
        // the password goes to a realm over TLS, or to the registry's own host; never in clear to a stranger
        boolean sameHost = bearer.realm().getHost().equalsIgnoreCase(registry.getHost());
        if (basic != null && (bearer.realm().getScheme().equalsIgnoreCase("https") || sameHost)) {
            options.putHeader(HttpHeaders.AUTHORIZATION, basicHeader());
        }
        long started = System.nanoTime();
        return client.request(options).compose(HttpClientRequest::send).compose(response -> {
            Promise<Buffer> body = Promise.promise();
            Buffer collected = Buffer.buffer();
            response.handler(chunk -> {
                if (collected.length() + chunk.length() > MAX_TOKEN_RESPONSE) {
                    body.tryFail(new IllegalStateException("the token realm's answer is too large"));
                    response.request().reset();
                } else {
                    collected.appendBuffer(chunk);
                }
            });
            response.endHandler(v -> body.tryComplete(collected));
            response.exceptionHandler(body::tryFail);
            return body.future().map(buffer -> {
                if (response.statusCode() != 200) {
                    throw new IllegalStateException("the token realm answered " + response.statusCode());
                }
                JsonObject json = new JsonObject(buffer);
                String token = json.getString("token", json.getString("access_token"));
                if (token == null || token.isEmpty()) {
                    throw new IllegalStateException("the token realm's answer holds no token");
                }
                long seconds = Math.max(json.getLong("expires_in", 60L), 1L);
                // refreshed before the registry would refuse it, allowing for the time the fetch took
                long lifetime = seconds * 1_000_000_000L * 9 / 10;
                return new Token(token, started + lifetime);
            });
        });
    }
}
