package io.chartgate.admin;

import io.chartgate.metrics.GatewayMetrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.util.List;
import java.util.function.Supplier;

/**
 * The plain-HTTP admin server, loopback by default: {@code /healthz} (the process answers and no event loop is
 * blocked), {@code /readyz}
 * (certificates loaded and every upstream answered the last probe), {@code /metrics} (Prometheus text) and
 * {@code POST /-/reload} (200 {@code {"result":"success"}}, with {@code "restartRequired":[…]} naming the changed settings only
 * a restart applies when there are any, or 422 naming every problem; the old configuration stays), and the status
 * page: {@code GET /} (HTML, {@link StatusPage}) and {@code GET /status.json} (the same facts, {@link StatusJson}).
 */
public final class AdminServer {

    private final HttpServer server;

    private AdminServer(HttpServer server) {
        this.server = server;
    }

    /**
     * @param readiness null when ready, else why not
     * @param stalled null while the process is healthy, else why not (a blocked event loop): {@code /healthz}
     *     then answers 503 with it
     * @param reload reloads the configuration
     * @param status the facts of the status page, taken when it is asked for
     */
    public static Future<AdminServer> start(Vertx vertx, String host, int port, GatewayMetrics metrics,
            Supplier<String> readiness, Supplier<String> stalled, Supplier<Future<ReloadResult>> reload,
            Supplier<StatusReport> status) {
        Router router = Router.router(vertx);
        router.get("/").handler(ctx -> ctx.response()
                .putHeader("Content-Type", "text/html; charset=utf-8")
                .putHeader("Content-Security-Policy", StatusPage.CONTENT_SECURITY_POLICY)
                .putHeader("X-Content-Type-Options", "nosniff")
                .putHeader("Referrer-Policy", "no-referrer")
                .putHeader("Cache-Control", "no-store")
                .end(StatusPage.render(status.get())));
        router.get("/status.json").handler(ctx -> ctx.response()
                .putHeader("Content-Type", "application/json")
                .putHeader("X-Content-Type-Options", "nosniff")
                .putHeader("Cache-Control", "no-store")
                .end(StatusJson.render(status.get()).encode()));
        router.get("/healthz").handler(ctx -> {
            String problem = stalled.get();
            if (problem == null) {
                ctx.json(new JsonObject().put("status", "ok"));
            } else {
                ctx.response().setStatusCode(503);
                ctx.json(new JsonObject().put("status", "stalled").put("reason", problem));
            }
        });
        router.get("/readyz").handler(ctx -> {
            String notReady = readiness.get();
            if (notReady == null) {
                ctx.json(new JsonObject().put("status", "ready"));
            } else {
                ctx.response().setStatusCode(503);
                ctx.json(new JsonObject().put("status", "not_ready").put("reason", notReady));
            }
        });
        router.post("/-/reload").handler(ctx -> reload.get().onComplete(ar -> {
            List<String> errors = ar.succeeded() ? ar.result().errors() : List.of(String.valueOf(ar.cause().getMessage()));
            if (errors.isEmpty()) {
                JsonObject body = new JsonObject().put("result", "success");
                if (!ar.result().restartRequired().isEmpty()) {
                    body.put("restartRequired", new JsonArray(ar.result().restartRequired()));
                }
                ctx.json(body);
            } else {
                ctx.response().setStatusCode(422);
                ctx.json(new JsonObject().put("result", "failure").put("error", "invalid_configuration")
                        .put("message", String.join("; ", errors)).put("errors", new JsonArray(errors)));
            }
        }));
        router.get("/metrics").handler(ctx -> ctx.response()
                .putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                .end(metrics.scrape()));
        // HTTP/1.1 only: no h2c upgrade dance with scrapers and curl
        return vertx.createHttpServer(new HttpServerOptions().setHttp2ClearTextEnabled(false))
                .requestHandler(router).listen(port, host).map(AdminServer::new);
    }

    public int port() {
        return server.actualPort();
    }

    public Future<Void> close() {
        return server.close();
    }
}
