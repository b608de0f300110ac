package io.chartgate.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.chartgate.config.ConfigLoader;
import io.chartgate.config.GatewayConfig;
import io.chartgate.testing.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReloaderTest {

    @TempDir
    Path dir;

    private static final String CONFIG = """
            server:
              port: %d
              limits: { idleTimeoutSeconds: %d }
              tls: { certFile: localhost.crt, keyFile: localhost.key, clientCaFile: ca.crt }
            routes: [{ name: files, prefix: /, upstream: { type: file, dir: . } }]
            policy: { rules: [{ name: r, match: { ou: engineering }, read: [%s] }] }
            """;

    private GatewayConfig load(Path file) throws Exception {
        return new ConfigLoader(Map.of()).load(file);
    }

    @Test
    void theRecordedFingerprintIsOfTheBytesCompiledSoAnEditLandingAfterThemIsSeen() throws Exception {
        TestPki.create(dir, "Reload CA").server("localhost").issue();
        Path file = Files.writeString(dir.resolve("chartgate.yaml"), CONFIG.formatted(8443, 60, "\"/**\""));
        byte[] compiled = Files.readAllBytes(file);
        GatewayConfig config = load(file);
        String recorded = Reloader.fingerprint(config, compiled);
        assertEquals(recorded, Reloader.fingerprint(config, null), "the same bytes on disk: nothing to reload");

        // an edit lands after the reload read the file, before it recorded what it applied
        Files.writeString(file, CONFIG.formatted(8443, 60, "\"/charts/**\""));
        assertNotEquals(recorded, Reloader.fingerprint(config, null), "the watcher sees the edit and reloads again");
        assertEquals(recorded, Reloader.fingerprint(config, compiled), "what was compiled is what is recorded");
    }

    @Test
    void settingsOnlyARestartAppliesAreNamed() throws Exception {
        TestPki.create(dir, "Reload CA").server("localhost").issue();
        GatewayConfig before = load(Files.writeString(dir.resolve("a.yaml"), CONFIG.formatted(8443, 60, "\"/**\"")));
        GatewayConfig policyOnly = load(Files.writeString(dir.resolve("b.yaml"), CONFIG.formatted(8443, 60, "\"/x/**\"")));
        GatewayConfig listener = load(Files.writeString(dir.resolve("c.yaml"), CONFIG.formatted(9443, 30, "\"/**\"")));
        assertEquals(List.of(), Reloader.restartRequired(before, policyOnly));
        assertEquals(List.of("server.port", "server.limits.idleTimeoutSeconds"), Reloader.restartRequired(before, listener));
    }

    @Test
    void aChangedTlsEngineWaitsForARestart() throws Exception {
        TestPki.create(dir, "Reload CA").server("localhost").issue();
        GatewayConfig before = load(Files.writeString(dir.resolve("a.yaml"), CONFIG.formatted(8443, 60, "\"/**\"")));
        GatewayConfig jdk = load(Files.writeString(dir.resolve("b.yaml"), CONFIG.formatted(8443, 60, "\"/**\"")
                .replace("clientCaFile: ca.crt }", "clientCaFile: ca.crt, engine: jdk }")));
        assertEquals(io.chartgate.config.TlsEngine.JDK, jdk.server().tls().engine());
        assertEquals(List.of("server.tls.engine"), Reloader.restartRequired(before, jdk));
    }
}
