package io.chartgate.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chartgate.metrics.RecentActivity;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class StatusPageTest {

    private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
    private static final String SCRIPT = "<script>alert('x')</script>";

    private static StatusReport report(List<StatusReport.Expiry> expiries, List<RecentActivity.Seen> principals,
            List<RecentActivity.Denial> denials) {
        return new StatusReport(NOW, NOW.minus(Duration.ofHours(1)),
                List.of(new StatusReport.Route("charts", "/charts", "file", "/srv/charts", StatusReport.Readiness.READY,
                                NOW.minusSeconds(3), null),
                        new StatusReport.Route("down", "/down", "http", "http://127.0.0.1:9", StatusReport.Readiness.NOT_READY,
                                NOW.minusSeconds(3), "connection refused " + SCRIPT)),
                List.of(new StatusReport.Rule("engineering", List.of("ou=engineering"), List.of("/**"), List.of("/charts/**"))),
                List.of("/public/**"), List.of(), expiries, principals, null, denials, denials.size());
    }

    private static RecentActivity.Seen seen(String principal, String subject, Duration left) {
        return new RecentActivity.Seen(principal, subject, NOW.plus(left), 3, NOW.minusSeconds(5), "allowed", 200);
    }

    @Test
    void aScriptInADnAPathAndAnErrorIsShownAsTextNeverAsATag() {
        String html = StatusPage.render(report(
                List.of(new StatusReport.Expiry("client CA", "CN=" + SCRIPT, NOW.plus(Duration.ofDays(300)))),
                List.of(seen(SCRIPT, "CN=" + SCRIPT + ",O=\"quoted\"", Duration.ofDays(90))),
                List.of(new RecentActivity.Denial(NOW, SCRIPT, "CN=" + SCRIPT, "GET", "/charts/" + SCRIPT, 403, null,
                        SCRIPT + " may not read /charts/x"))));
        assertFalse(html.toLowerCase(java.util.Locale.ROOT).contains("<script"), html);
        assertTrue(html.contains("CN=&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"), html);
        assertTrue(html.contains("data-principal=\"&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;\""), html);
        assertTrue(html.contains("O=&quot;quoted&quot;"), html);
    }

    @Test
    void rowsAreColouredByDaysLeft() {
        String html = StatusPage.render(report(List.of(
                        new StatusReport.Expiry("server certificate", "CN=ok", NOW.plus(Duration.ofDays(90))),
                        new StatusReport.Expiry("client CA", "CN=soon", NOW.plus(Duration.ofDays(20))),
                        new StatusReport.Expiry("CRL next update", "CN=very soon", NOW.plus(Duration.ofDays(5))),
                        new StatusReport.Expiry("client CA", "CN=past", NOW.minus(Duration.ofDays(3)))),
                List.of(seen("alice", "CN=alice", Duration.ofDays(5)), seen("bob", "CN=bob", Duration.ofDays(20)),
                        seen("carol", "CN=carol", Duration.ofDays(200))),
                List.of()));
        assertEquals("level-ok", rowClass(html, "CN=ok"));
        assertEquals("level-warning", rowClass(html, "CN=soon"));
        assertEquals("level-danger", rowClass(html, "CN=very soon"));
        assertEquals("level-danger", rowClass(html, "CN=past"));
        assertTrue(html.contains("<tr class=\"principal level-danger\" data-principal=\"alice\">"), html);
        assertTrue(html.contains("<tr class=\"principal level-warning\" data-principal=\"bob\">"), html);
        assertTrue(html.contains("<tr class=\"principal level-ok\" data-principal=\"carol\">"), html);
        assertTrue(html.contains("expired 3 days ago"), html);
        assertTrue(html.contains(">5 days<"), html);
    }

    /** The level class of the expiry row whose subject cell is {@code subject}. */
    private static String rowClass(String html, String subject) {
        Matcher m = Pattern.compile("<tr class=\"expiry (level-[a-z]+)\"><td>[^<]*</td><td class=\"mono\">"
                + Pattern.quote(subject) + "</td>").matcher(html);
        assertTrue(m.find(), () -> "no expiry row for " + subject + " in " + html);
        return m.group(1);
    }

    @Test
    void theLevelChangesAtThirtyAndSevenDaysExactly() {
        assertEquals(ExpiryLevel.OK, ExpiryLevel.of(NOW.plus(Duration.ofDays(30)), NOW));
        assertEquals(ExpiryLevel.WARNING, ExpiryLevel.of(NOW.plus(Duration.ofDays(30)).minusSeconds(1), NOW));
        assertEquals(ExpiryLevel.WARNING, ExpiryLevel.of(NOW.plus(Duration.ofDays(7)), NOW));
        assertEquals(ExpiryLevel.DANGER, ExpiryLevel.of(NOW.plus(Duration.ofDays(7)).minusSeconds(1), NOW));
        assertEquals(ExpiryLevel.DANGER, ExpiryLevel.of(NOW.minusSeconds(1), NOW));
        assertEquals(4, ExpiryLevel.daysLeft(NOW.plus(Duration.ofDays(5)).minusSeconds(1), NOW));
        assertEquals(-1, ExpiryLevel.daysLeft(NOW.minusSeconds(1), NOW));
    }

    @Test
    void thePageHasARefreshLinkAndNoExternalAssets() {
        String html = StatusPage.render(report(List.of(), List.of(), List.of()));
        assertTrue(html.contains("<a id=\"refresh\" href=\"/\">Refresh</a>"), html);
        assertFalse(Pattern.compile("(src|href)=\"(https?:)?//").matcher(html).find(), "nothing loaded from elsewhere");
        assertFalse(html.contains("<link") || html.contains("<img") || html.contains("<script"), html);
    }

    @Test
    void theJsonHoldsTheSameFacts() {
        JsonObject json = StatusJson.render(report(
                List.of(new StatusReport.Expiry("client CA", "CN=soon", NOW.plus(Duration.ofDays(20)))),
                List.of(seen("alice", "CN=alice", Duration.ofDays(5))),
                List.of(new RecentActivity.Denial(NOW, "eve", "CN=eve", "PUT", "/charts/x.tgz", 403, null,
                        "eve may not write /charts/x.tgz"))));
        JsonObject parsed = new JsonObject(json.encode());
        assertEquals("not ready", parsed.getJsonArray("routes").getJsonObject(1).getString("readiness"));
        assertEquals("warning", parsed.getJsonArray("expiries").getJsonObject(0).getString("level"));
        assertEquals(20, parsed.getJsonArray("expiries").getJsonObject(0).getLong("daysLeft"));
        assertEquals("danger", parsed.getJsonArray("principals").getJsonObject(0).getString("level"));
        assertEquals("/charts/x.tgz", parsed.getJsonArray("denials").getJsonObject(0).getString("path"));
        assertEquals("ou=engineering", parsed.getJsonObject("policy").getJsonArray("rules").getJsonObject(0)
                .getJsonArray("match").getString(0));
        assertEquals("/public/**", parsed.getJsonObject("policy").getJsonObject("anonymous").getJsonArray("read").getString(0));
        assertTrue(parsed.containsKey("lastReload") && parsed.getValue("lastReload") == null, parsed::encode);
    }

    @Test
    void theLastReloadShowsItsErrorsAndTheSettingsThatWaitForARestart() {
        StatusReport base = report(List.of(), List.of(), List.of());
        StatusReport withReload = new StatusReport(NOW, base.startedAt(), base.routes(), base.rules(), base.anonymousRead(),
                base.anonymousWrite(), List.of(), List.of(), new StatusReport.Reload(NOW, "watch", "success", List.of(),
                        List.of("server.port"), List.of()), List.of(), 0);
        String html = StatusPage.render(withReload);
        assertTrue(html.contains("<tr class=\"success\">"), html);
        assertTrue(html.contains(">server.port<"), html);
        assertTrue(html.contains(">watch<"), html);
    }
}
