package io.chartgate.it;

import static io.chartgate.testing.Manifests.kind;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.chartgate.cli.Main;
import io.chartgate.testing.HelmCli;
import io.chartgate.testing.Manifests;
import io.chartgate.testing.TestPki;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Helm chart rendered by the real helm 3 and 4 (no cluster runs here, so what a cluster would see is
 * checked in the rendered YAML), and the jar run exactly as the container image runs it.
 */
class DeploymentIT {

    private static final Path CHART = Path.of("helm-chart/chartgate");

    @TempDir
    Path dir;

    private List<JsonNode> render(String major, String valuesFile) throws Exception {
        HelmCli.Result out = HelmCli.of(major, dir.resolve("helm" + major)).run(Path.of("."), "template", "gw", CHART.toString(),
                "-f", CHART.resolve("ci").resolve(valuesFile).toString());
        return Manifests.of(out);
    }

    @ParameterizedTest(name = "helm {0} {1}")
    @CsvSource({"3, standalone-values.yaml", "4, standalone-values.yaml", "3, sidecar-values.yaml", "4, sidecar-values.yaml"})
    void theChartLintsStrictly(String major, String values) {
        HelmCli.Result lint = HelmCli.of(major, dir.resolve("helm" + major)).run(Path.of("."), "lint", "--strict", CHART.toString(),
                "-f", CHART.resolve("ci").resolve(values).toString());
        assertTrue(lint.ok(), lint::toString);
    }

    @ParameterizedTest(name = "helm {0}")
    @ValueSource(strings = {"3", "4"})
    void standaloneRunsLockedDownWithProbesOnTheAdminPortAndExposesOnlyTls(String major) throws Exception {
        List<JsonNode> docs = render(major, "standalone-values.yaml");
        JsonNode pod = kind(docs, "Deployment").at("/spec/template/spec");
        assertTrue(pod.at("/securityContext/runAsNonRoot").asBoolean());
        assertEquals("RuntimeDefault", pod.at("/securityContext/seccompProfile/type").asText());
        JsonNode gateway = pod.at("/containers/0");
        assertEquals(List.of("run", "--config", "/etc/chartgate/config/chartgate.yaml"),
                new YAMLMapper().convertValue(gateway.get("args"), List.class));
        assertTrue(gateway.at("/securityContext/readOnlyRootFilesystem").asBoolean());
        assertFalse(gateway.at("/securityContext/allowPrivilegeEscalation").asBoolean());
        assertEquals("ALL", gateway.at("/securityContext/capabilities/drop/0").asText());
        assertEquals("/healthz", gateway.at("/livenessProbe/httpGet/path").asText());
        assertEquals("/healthz", gateway.at("/readinessProbe/httpGet/path").asText(), "readiness: gateway, the default");
        assertEquals("admin", gateway.at("/readinessProbe/httpGet/port").asText());
        assertTrue(gateway.get("env").toString().contains("-XX:+ExitOnOutOfMemoryError"),
                "a JVM out of memory must exit so the kubelet restarts it: " + gateway.get("env"));
        assertEquals(1, pod.get("containers").size());
        JsonNode service = docs.stream().filter(d -> d.get("kind").asText().equals("Service")
                && d.at("/metadata/name").asText().equals("gw-chartgate")).findFirst().orElseThrow();
        assertEquals(1, service.at("/spec/ports").size());
        assertEquals(443, service.at("/spec/ports/0/port").asInt());
        assertEquals("https", service.at("/spec/ports/0/targetPort").asText());
        for (String k : List.of("PodDisruptionBudget", "HorizontalPodAutoscaler", "NetworkPolicy", "ServiceMonitor", "PrometheusRule")) {
            kind(docs, k);
        }
        assertEquals(8443, kind(docs, "NetworkPolicy").at("/spec/ingress/0/ports/0/port").asInt());
    }

    @ParameterizedTest(name = "helm {0}")
    @ValueSource(strings = {"3", "4"})
    void inSidecarModeChartMuseumListensOnLoopbackOnlyAndIsNotExposed(String major) throws Exception {
        List<JsonNode> docs = render(major, "sidecar-values.yaml");
        JsonNode containers = kind(docs, "Deployment").at("/spec/template/spec/containers");
        assertEquals(2, containers.size());
        JsonNode museum = containers.get(1);
        assertEquals("chartmuseum", museum.get("name").asText());
        assertFalse(museum.has("ports"), "ChartMuseum declares no port");
        Map<String, String> env = new java.util.HashMap<>();
        museum.get("env").forEach(e -> env.put(e.get("name").asText(), e.get("value").asText()));
        assertEquals("127.0.0.1", env.get("LISTEN_HOST"));
        assertTrue(museum.at("/securityContext/readOnlyRootFilesystem").asBoolean());
        docs.stream().filter(d -> d.get("kind").asText().equals("Service")).forEach(s ->
                s.at("/spec/ports").forEach(p -> assertTrue(List.of("https", "admin").contains(p.get("targetPort").asText()))));
        String config = kind(docs, "ConfigMap").at("/data/chartgate.yaml").asText();
        assertTrue(config.contains("url: \"http://127.0.0.1:8080\""), config);
        kind(docs, "Certificate");
        kind(docs, "PersistentVolumeClaim");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"standalone-values.yaml", "sidecar-values.yaml"})
    void theRenderedGatewayConfigurationPassesConfigCheck(String values) throws Exception {
        String config = kind(render("4", values), "ConfigMap").at("/data/chartgate.yaml").asText();
        Path file = Files.writeString(dir.resolve("rendered.yaml"), config);
        StringWriter out = new StringWriter();
        int code = Main.execute(new String[] {"config", "check", "--no-files", "--config", file.toString()}, Map.of(),
                new PrintWriter(out), new PrintWriter(out));
        assertEquals(0, code, () -> out + "\n" + config);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            --set mode=gateway                                  | at '/mode'
            --set tls.existingSecret=                           | existingSecret
            --set clientCa.secretName=                          | clientCa
            """)
    void theSchemaRejectsBadValues(String set, String complaint) {
        List<String> args = new ArrayList<>(List.of("template", "gw", CHART.toString(), "-f",
                CHART.resolve("ci/standalone-values.yaml").toString()));
        args.addAll(List.of(set.split(" ")));
        HelmCli.Result result = HelmCli.of("4", dir.resolve("helm4")).run(Path.of("."), args.toArray(String[]::new));
        assertFalse(result.ok(), result::toString);
        assertTrue(result.output().contains("values don't meet the specifications") && result.output().contains(complaint), result::toString);
    }

    @Test
    void theChartShipsTheProjectsOwnDashboardAndRulesByteForByte() throws Exception {
        assertArrayEquals(Files.readAllBytes(Path.of("dashboards/chartgate.json")), Files.readAllBytes(CHART.resolve("files/chartgate.json")));
        assertArrayEquals(Files.readAllBytes(Path.of("alerts/chartgate-rules.yaml")),
                Files.readAllBytes(CHART.resolve("files/chartgate-rules.yaml")));
    }

    @Test
    void theJarRunsAsTheImageRunsItNonRootWithAReadOnlyConfigurationAndAnotherTempDir() throws Exception {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path etc = Files.createDirectories(dir.resolve("etc/chartgate"));
        TestPki pki = TestPki.create(etc.resolve("certs"), "Image CA");
        pki.server("localhost").issue();
        Files.writeString(etc.resolve("chartgate.yaml"), """
                server: { host: 127.0.0.1, port: 0, tls: { certFile: certs/localhost.crt, keyFile: certs/localhost.key, clientCaFile: certs/ca.crt } }
                admin: { host: 127.0.0.1, port: 0 }
                routes: [{ name: r, prefix: /, upstream: { type: http, url: "http://127.0.0.1:9" } }]
                """);
        Path tmp = Files.createDirectories(dir.resolve("tmp"));
        try (Stream<Path> files = Files.walk(dir.resolve("etc"))) {
            for (Path p : files.toList()) {
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "r-xr-xr-x" : "r--r--r--"));
            }
        }
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));
        List<String> command = new ArrayList<>();
        boolean root = "root".equals(System.getProperty("user.name"));
        if (root) {
            // the image runs as a numeric non-root user; "nobody" is the one every Debian machine has
            command.addAll(List.of("runuser", "-u", "nobody", "--"));
        }
        Path jar = Path.of(System.getProperty("chartgate.jar", "target/chartgate.jar")).toAbsolutePath();
        command.addAll(List.of("java", "-Djava.io.tmpdir=" + tmp, "-jar", jar.toString(),
                "run", "--config", etc.resolve("chartgate.yaml").toString()));
        Process gateway = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            var in = new java.io.BufferedReader(new java.io.InputStreamReader(gateway.getInputStream()));
            String line;
            String admin = null;
            while ((line = in.readLine()) != null) {
                if (line.startsWith("chartgate: listening on")) {
                    admin = line.substring(line.indexOf("admin on ") + "admin on ".length());
                    break;
                }
            }
            assertTrue(admin != null, "the gateway did not start as a non-root user with a read-only configuration");
            StringWriter out = new StringWriter();
            int health = Main.execute(new String[] {"healthcheck", "--url", admin + "/healthz"}, Map.of(), new PrintWriter(out),
                    new PrintWriter(out));
            assertEquals(0, health, out::toString);
            // SIGTERM to the JVM itself (under runuser it is a child of the process started here)
            gateway.toHandle().descendants().filter(h -> h.info().command().orElse("").endsWith("java")).findFirst()
                    .orElse(gateway.toHandle()).destroy();
            assertTrue(gateway.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, gateway.exitValue(), "SIGTERM ends it cleanly");
        } finally {
            // runuser's child too: a failed assertion must not leave the JVM running after the test
            gateway.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
            gateway.destroyForcibly();
        }
    }
}
