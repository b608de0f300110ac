package io.chartgate.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.chartgate.admin.StatusReport;
import io.chartgate.config.ConfigLoader;
import io.chartgate.config.RouteConfig;
import io.chartgate.testing.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StatusReporterTest {

    @TempDir
    Path dir;

    /** The routes of a configuration loaded as the gateway loads it, with {@code ${VAR}}s from {@code env}. */
    private List<RouteConfig> routes(String routes, Map<String, String> env) throws Exception {
        TestPki.create(dir, "Status CA").server("localhost").issue();
        Path file = Files.writeString(dir.resolve("chartgate.yaml"), """
                server:
                  tls: { certFile: localhost.crt, keyFile: localhost.key, clientCaFile: ca.crt }
                routes:
                %s
                policy: { rules: [{ name: r, match: { ou: x }, read: ["/**"] }] }
                """.formatted(routes));
        return new ConfigLoader(env).load(file).routes();
    }

    @Test
    void anS3RouteShowsItsBucketAndEndpointNeverItsKeys() throws Exception {
        RouteConfig s3 = routes("""
                  - name: bucket
                    prefix: /s3
                    upstream: { type: s3, endpoint: "http://minio:9000", bucket: charts, region: eu-west-1, pathStyle: true,
                                keyPrefix: stable/, accessKeyId: "${KEY_ID}", secretAccessKey: "${SECRET}", sessionToken: "${TOKEN}" }
                """, Map.of("KEY_ID", "AKIAEXAMPLEKEYID", "SECRET", "s3cr3t-access-key", "TOKEN", "session-token")).get(0);
        String target = StatusReporter.target(s3.upstream());
        assertEquals("s3://charts/stable/ at http://minio:9000 (eu-west-1)", target);
        assertFalse(target.contains("AKIA") || target.contains("s3cr3t") || target.contains("session"), target);
    }

    @Test
    void anHttpRouteShowsItsUrlAndNotItsCredentials() throws Exception {
        RouteConfig http = routes("""
                  - name: museum
                    prefix: /
                    upstream: { type: http, url: "https://museum.example:8443/base",
                                auth: { basic: { username: gw, password: "${PASSWORD}" } } }
                """, Map.of("PASSWORD", "hunter2")).get(0);
        assertEquals("https://museum.example:8443/base", StatusReporter.target(http.upstream()));
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
