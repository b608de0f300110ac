package io.chartgate.proxy;

import io.chartgate.decision.GatewayError;
import io.chartgate.upstream.UpstreamException;
import io.chartgate.upstream.oci.OciUpstream;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * {@code GET /v2/_catalog} on an oci route, answered by the gateway: the registry's repositories (read whole with
 * the gateway's credentials) cut to those the caller may pull, sorted, and paged here with the Distribution API's
 * {@code n} and {@code last} and a {@code Link: <…>; rel="next"}, so no page ever names a repository the caller
 * may not see and paging never skips one.
 */
final class OciCatalog {

    /** Repositories per page when the client names no {@code n}, and the most it may ask for. */
    static final int DEFAULT_PAGE = 100;
    static final int MAX_PAGE = 1000;

    private OciCatalog() {
    }

    static void serve(Exchange exchange, OciUpstream registry, Predicate<String> mayPull, String rawQuery) {
        Map<String, List<String>> query = new QueryStringDecoder("?" + (rawQuery == null ? "" : rawQuery)).parameters();
        int n = DEFAULT_PAGE;
        try {
            if (query.containsKey("n")) {
                n = Integer.parseInt(query.get("n").get(0));
            }
        } catch (NumberFormatException e) {
            exchange.fail(GatewayError.BAD_REQUEST, "PAGINATION_NUMBER_INVALID", "n is not a number");
            return;
        }
        if (n < 0 || n > MAX_PAGE) {
            exchange.fail(GatewayError.BAD_REQUEST, "PAGINATION_NUMBER_INVALID", "n must be 0 to " + MAX_PAGE);
            return;
        }
        String last = query.containsKey("last") ? query.get("last").get(0) : null;
        int size = n;
        registry.catalog().onComplete(listed -> {
            if (listed.failed()) {
                exchange.gatewayAnswered = true;
                exchange.fail(GatewayError.UPSTREAM_UNAVAILABLE, "UNAVAILABLE", listed.cause() instanceof UpstreamException e
                        ? e.getMessage() : "the registry's catalog could not be read");
                return;
            }
            List<String> visible = listed.result().stream().filter(mayPull).sorted().distinct()
                    .filter(name -> last == null || name.compareTo(last) > 0).toList();
            List<String> page = visible.subList(0, Math.min(size, visible.size()));
            HttpServerResponse response = exchange.request.response();
            response.putHeader(HttpHeaders.CONTENT_TYPE, "application/json");
            if (visible.size() > page.size() && !page.isEmpty()) {
                String next = URLEncoder.encode(page.get(page.size() - 1), StandardCharsets.UTF_8);
                response.putHeader("Link", "</v2/_catalog?last=" + next + "&n=" + size + ">; rel=\"next\"");
            }
            exchange.gatewayAnswered = true;
            response.end(new JsonObject().put("repositories", new JsonArray(page)).encode());
        });
    }
}
