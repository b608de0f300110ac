package io.chartgate.admin;

import io.chartgate.metrics.RecentActivity;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;

/**
 * The status page's facts as JSON ({@code GET /status.json}): the same sections and values as the HTML, times as
 * ISO-8601 UTC, with each expiry's {@code daysLeft} and {@code level} (ok, warning, danger) worked out.
 */
public final class StatusJson {

    private StatusJson() {
    }

    public static JsonObject render(StatusReport report) {
        Instant now = report.generatedAt();
        JsonArray routes = new JsonArray();
        for (StatusReport.Route r : report.routes()) {
            routes.add(new JsonObject().put("name", r.name()).put("prefix", r.prefix()).put("kind", r.kind())
                    .put("target", r.target()).put("readiness", r.readiness().label()).put("lastProbe", time(r.lastProbe()))
                    .put("error", r.error()));
        }
        JsonArray rules = new JsonArray();
        for (StatusReport.Rule r : report.rules()) {
            rules.add(new JsonObject().put("name", r.name()).put("match", new JsonArray(r.match()))
                    .put("read", new JsonArray(r.read())).put("write", new JsonArray(r.write())));
        }
        JsonArray expiries = new JsonArray();
        for (StatusReport.Expiry e : report.expiries()) {
            expiries.add(expiry(new JsonObject().put("kind", e.kind()).put("subject", e.subject()), e.at(), now));
        }
        JsonArray principals = new JsonArray();
        for (RecentActivity.Seen s : report.principals()) {
            JsonObject principal = new JsonObject().put("principal", s.principal()).put("subject", s.subject());
            if (s.notAfter() != null) {
                expiry(principal, s.notAfter(), now);
            }
            principals.add(principal.put("requests", s.requests()).put("lastSeen", time(s.lastSeen()))
                    .put("lastDecision", s.lastDecision()).put("lastStatus", s.lastStatus()));
        }
        JsonArray denials = new JsonArray();
        for (RecentActivity.Denial d : report.denials()) {
            denials.add(new JsonObject().put("time", time(d.at())).put("principal", d.principal()).put("subject", d.subject())
                    .put("method", d.method()).put("path", d.path()).put("status", d.status()).put("rule", d.rule())
                    .put("reason", d.reason()));
        }
        StatusReport.Reload reload = report.lastReload();
        return new JsonObject()
                .put("generatedAt", time(now))
                .put("startedAt", time(report.startedAt()))
                .put("routes", routes)
                .put("policy", new JsonObject().put("rules", rules).put("anonymous", new JsonObject()
                        .put("read", new JsonArray(report.anonymousRead())).put("write", new JsonArray(report.anonymousWrite()))))
                .put("expiries", expiries)
                .put("lastReload", reload == null ? null : new JsonObject().put("time", time(reload.at()))
                        .put("trigger", reload.trigger()).put("result", reload.result()).put("errors", array(reload.errors()))
                        .put("restartRequired", array(reload.restartRequired())).put("warnings", array(reload.warnings())))
                .put("principals", principals)
                .put("denials", denials)
                .put("denialsRecorded", report.denialsRecorded());
    }

    private static JsonObject expiry(JsonObject into, Instant at, Instant now) {
        return into.put("notAfter", time(at)).put("daysLeft", ExpiryLevel.daysLeft(at, now))
                .put("level", ExpiryLevel.of(at, now).label());
    }

    private static JsonArray array(List<String> values) {
        return new JsonArray(List.copyOf(values));
    }

    private static String time(Instant at) {
        return at == null ? null : StatusPage.time(at);
    }
}
