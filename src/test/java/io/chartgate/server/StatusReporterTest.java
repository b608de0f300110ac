package io.chartgate.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.chartgate.admin.StatusReport;
import io.chartgate.config.HttpUpstreamConfig;
import io.chartgate.config.IndexOptions;
import io.chartgate.config.PayloadSigning;
import io.chartgate.config.S3UpstreamConfig;
import io.chartgate.config.Secret;
import io.chartgate.config.UpstreamAuth;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StatusReporterTest {

    @Test
    void anS3RouteShowsItsBucketAndEndpointNeverItsKeys() {
        S3UpstreamConfig s3 = new S3UpstreamConfig(URI.create("http://minio:9000"), "charts", "eu-west-1", true, "stable/",
                new Secret("AKIAEXAMPLEKEYID"), new Secret("s3cr3t-access-key"), new Secret("session-token"), 2000, 30000,
                IndexOptions.DEFAULTS, PayloadSigning.values()[0], S3UpstreamConfig.DEFAULT_SPOOL_MAX_BYTES);
        String target = StatusReporter.target(s3);
        assertEquals("s3://charts/stable/ at http://minio:9000 (eu-west-1)", target);
        assertFalse(target.contains("AKIA") || target.contains("s3cr3t") || target.contains("session"), target);
    }

    @Test
    void anHttpRouteShowsItsUrlWithoutUserInfoOrAuth() {
        HttpUpstreamConfig http = new HttpUpstreamConfig(URI.create("https://gw:hunter2@museum.example:8443/base"),
                new UpstreamAuth.Basic("gw", new Secret("hunter2")), null, 2000, 30000, IndexOptions.DEFAULTS);
        assertEquals("https://museum.example:8443/base", StatusReporter.target(http));
    }

    @Test
    void theLastReloadKeepsTheFactsOfItsLogEntry() {
        LastReload last = new LastReload();
        assertNull(last.get());
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("event", "config_reload");
        entry.put("time", "2026-03-01T12:00:00.123Z");
        entry.put("trigger", "admin");
        entry.put("result", "failure");
        entry.put("errors", List.of("routes[0].prefix: missing"));
        last.record(entry);
        StatusReport.Reload reload = last.get();
        assertEquals("admin", reload.trigger());
        assertEquals("failure", reload.result());
        assertEquals(List.of("routes[0].prefix: missing"), reload.errors());
        assertEquals(List.of(), reload.restartRequired());
    }
}
