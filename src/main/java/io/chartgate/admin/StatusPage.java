package io.chartgate.admin;

import io.chartgate.metrics.RecentActivity;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * Renders a {@link StatusReport} as one self-contained HTML page: inline CSS, no script, no external asset, every
 * value escaped by {@link Html#escape}. Rows carry their state as CSS classes ({@code level-warning},
 * {@code ready}, …) so the colours need no script and tests can read them from the DOM.
 */
public final class StatusPage {

    /**
     * Served with the page: nothing but its own inline style may load or run, so even a value that escaped
     * escaping could not run a script.
     */
    public static final String CONTENT_SECURITY_POLICY =
            "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static final String STYLE = """
            body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;padding:16px 24px;\
            max-width:1240px;color:#1f2328;background:#fff}
            h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:24px 0 8px;border-bottom:1px solid #d0d7de;\
            padding-bottom:4px}
            header p{margin:0;color:#59636e}a{color:#0969da}
            table{border-collapse:collapse;width:100%;margin-bottom:4px}
            th,td{text-align:left;vertical-align:top;padding:4px 8px;border:1px solid #d0d7de}
            th{background:#f6f8fa;font-weight:600}
            code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
            td{overflow-wrap:anywhere}.none{color:#8c959f}.note{color:#59636e;margin:4px 0}
            tr.ready td.state{color:#1a7f37;font-weight:600}
            tr.not-ready td.state{color:#cf222e;font-weight:600}tr.not-probed td.state{color:#9a6700}
            tr.level-warning{background:#fff8c5}tr.level-warning td.days{color:#7d4e00;font-weight:600}
            tr.level-danger{background:#ffebe9}tr.level-danger td.days{color:#cf222e;font-weight:600}
            tr.success td.result{color:#1a7f37;font-weight:600}tr.failure td.result{color:#cf222e;font-weight:600}
            .legend span{display:inline-block;padding:0 6px;margin-right:6px;border:1px solid #d0d7de}
            .legend .level-warning{background:#fff8c5}.legend .level-danger{background:#ffebe9}
            """;

    private StatusPage() {
    }

    public static String render(StatusReport report) {
        Instant now = report.generatedAt();
        StringBuilder html = new StringBuilder(16 * 1024);
        html.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
                .append("<title>chartgate status</title><style>").append(STYLE).append("</style></head><body>\n");
        html.append("<header><h1>chartgate status</h1><p>Generated <time id=\"generated\">").append(time(now))
                .append("</time> &middot; started ").append(time(report.startedAt()))
                .append(" &middot; <a id=\"refresh\" href=\"/\">Refresh</a> &middot; <a href=\"/status.json\">JSON</a>")
                .append("</p></header>\n");
        routes(html, report);
        expiries(html, report, now);
        reload(html, report);
        principals(html, report, now);
        denials(html, report);
        policy(html, report);
        html.append("</body></html>\n");
        return html.toString();
    }

    private static void routes(StringBuilder html, StatusReport report) {
        html.append("<section id=\"routes\"><h2>Routes</h2><table><thead><tr><th>Route</th><th>Prefix</th><th>Upstream</th>")
                .append("<th>Target</th><th>Readiness</th><th>Last probe</th><th>Error</th></tr></thead><tbody>\n");
        for (StatusReport.Route route : report.routes()) {
            String state = switch (route.readiness()) {
                case READY -> "ready";
                case NOT_READY -> "not-ready";
                case NOT_PROBED -> "not-probed";
            };
            html.append("<tr class=\"route ").append(state).append("\" data-route=\"").append(Html.escape(route.name()))
                    .append("\">");
            cell(html, route.name());
            code(html, route.prefix());
            cell(html, route.kind());
            code(html, route.target());
            html.append("<td class=\"state\">").append(Html.escape(route.readiness().label())).append("</td>");
            cell(html, route.lastProbe() == null ? null : time(route.lastProbe()));
            cell(html, route.error());
            html.append("</tr>\n");
        }
        html.append("</tbody></table></section>\n");
    }

    private static void expiries(StringBuilder html, StatusReport report, Instant now) {
        html.append("<section id=\"expiries\"><h2>Certificates, CAs and CRLs</h2>")
                .append("<p class=\"note legend\"><span class=\"level-warning\">under 30 days</span>")
                .append("<span class=\"level-danger\">under 7 days or past</span></p>")
                .append("<table><thead><tr><th>Kind</th><th>Subject</th><th>Expires</th><th>Days left</th></tr></thead><tbody>\n");
        for (StatusReport.Expiry expiry : report.expiries()) {
            html.append("<tr class=\"expiry level-").append(ExpiryLevel.of(expiry.at(), now).label()).append("\">");
            cell(html, expiry.kind());
            code(html, expiry.subject());
            cell(html, time(expiry.at()));
            html.append("<td class=\"days\">").append(Html.escape(days(expiry.at(), now))).append("</td></tr>\n");
        }
        html.append("</tbody></table></section>\n");
    }

    private static void reload(StringBuilder html, StatusReport report) {
        html.append("<section id=\"reload\"><h2>Last reload</h2>");
        StatusReport.Reload reload = report.lastReload();
        if (reload == null) {
            html.append("<p class=\"none\">No reload since the start at ").append(time(report.startedAt())).append(".</p>");
        } else {
            html.append("<table><thead><tr><th>Time</th><th>Trigger</th><th>Result</th><th>Errors</th><th>Restart required</th>")
                    .append("<th>Warnings</th></tr></thead><tbody><tr class=\"")
                    .append("success".equals(reload.result()) ? "success" : "failure").append("\">");
            cell(html, time(reload.at()));
            cell(html, reload.trigger());
            html.append("<td class=\"result\">").append(Html.escape(reload.result())).append("</td>");
            list(html, reload.errors());
            list(html, reload.restartRequired());
            list(html, reload.warnings());
            html.append("</tr></tbody></table>");
        }
        html.append("</section>\n");
    }

    private static void principals(StringBuilder html, StatusReport report, Instant now) {
        html.append("<section id=\"principals\"><h2>Recent principals</h2>")
                .append("<p class=\"note\">The ").append(RecentActivity.PRINCIPALS)
                .append(" most recently seen, newest first; the expiry is of the certificate last presented.</p>")
                .append("<table><thead><tr><th>Principal</th><th>Subject</th><th>Certificate expires</th><th>Days left</th>")
                .append("<th>Requests</th><th>Last seen</th><th>Last decision</th></tr></thead><tbody>\n");
        for (RecentActivity.Seen seen : report.principals()) {
            html.append("<tr class=\"principal");
            if (seen.notAfter() != null) {
                html.append(" level-").append(ExpiryLevel.of(seen.notAfter(), now).label());
            }
            html.append("\" data-principal=\"").append(Html.escape(seen.principal())).append("\">");
            cell(html, seen.principal());
            code(html, seen.subject());
            cell(html, seen.notAfter() == null ? null : time(seen.notAfter()));
            html.append("<td class=\"days\">").append(seen.notAfter() == null ? "" : Html.escape(days(seen.notAfter(), now)))
                    .append("</td>");
            cell(html, Long.toString(seen.requests()));
            cell(html, time(seen.lastSeen()));
            cell(html, seen.lastDecision() + " (" + seen.lastStatus() + ")");
            html.append("</tr>\n");
        }
        html.append("</tbody></table></section>\n");
    }

    private static void denials(StringBuilder html, StatusReport report) {
        html.append("<section id=\"denials\"><h2>Recent denials</h2><p class=\"note\">The last ")
                .append(RecentActivity.DENIALS).append(" refused requests, newest first (")
                .append(report.denialsRecorded()).append(" since start). Paths without their query.</p>")
                .append("<table><thead><tr><th>Time</th><th>Principal</th><th>Method</th><th>Path</th><th>Status</th>")
                .append("<th>Rule or reason</th></tr></thead><tbody>\n");
        for (RecentActivity.Denial denial : report.denials()) {
            html.append("<tr class=\"denial\">");
            cell(html, time(denial.at()));
            cell(html, denial.principal());
            cell(html, denial.method());
            code(html, denial.path());
            cell(html, Integer.toString(denial.status()));
            cell(html, denial.rule() != null ? "rule " + denial.rule() + ": " + denial.reason() : denial.reason());
            html.append("</tr>\n");
        }
        html.append("</tbody></table></section>\n");
    }

    private static void policy(StringBuilder html, StatusReport report) {
        html.append("<section id=\"policy\"><h2>Policy</h2><p class=\"note\">Rules are a union; a request no rule allows is ")
                .append("denied.</p><table><thead><tr><th>Rule</th><th>Match (all must hold)</th><th>Read</th><th>Write</th>")
                .append("</tr></thead><tbody>\n");
        for (StatusReport.Rule rule : report.rules()) {
            html.append("<tr class=\"rule\" data-rule=\"").append(Html.escape(rule.name())).append("\">");
            cell(html, rule.name());
            list(html, rule.match());
            list(html, rule.read());
            list(html, rule.write());
            html.append("</tr>\n");
        }
        html.append("<tr class=\"rule anonymous\"><td><em>anonymous</em> (clients without a certificate)</td><td></td>");
        list(html, report.anonymousRead());
        list(html, report.anonymousWrite());
        html.append("</tr>\n</tbody></table></section>\n");
    }

    private static void cell(StringBuilder html, String value) {
        if (value == null) {
            html.append("<td class=\"none\">&mdash;</td>");
        } else {
            html.append("<td>").append(Html.escape(value)).append("</td>");
        }
    }

    private static void code(StringBuilder html, String value) {
        if (value == null) {
            html.append("<td class=\"none\">&mdash;</td>");
        } else {
            html.append("<td class=\"mono\">").append(Html.escape(value)).append("</td>");
        }
    }

    private static void list(StringBuilder html, List<String> values) {
        html.append("<td class=\"mono\">");
        for (int i = 0; i < values.size(); i++) {
            html.append(i == 0 ? "" : "<br>").append(Html.escape(values.get(i)));
        }
        html.append("</td>");
    }

    /** UTC, to the second. */
    static String time(Instant at) {
        return at.truncatedTo(ChronoUnit.SECONDS).toString();
    }

    /** "12 days", "less than a day", "expired 3 days ago" (whole days, rounded down). */
    static String days(Instant at, Instant now) {
        if (!at.isAfter(now)) {
            long ago = Duration.between(at, now).getSeconds() / 86_400L;
            return ago == 0 ? "expired less than a day ago" : "expired " + ago + (ago == 1 ? " day ago" : " days ago");
        }
        long left = ExpiryLevel.daysLeft(at, now);
        return left == 0 ? "less than a day" : left + (left == 1 ? " day" : " days");
    }
}
