package io.chartgate.it;

import static io.chartgate.testing.Manifests.kind;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.chartgate.cli.Main;
import io.chartgate.config.Limits;
import io.chartgate.testing.HelmCli;
import io.chartgate.testing.Manifests;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What a cluster would do with the chart's rendered manifests, one test per defect a review of a normal install
 * found (issue 19): egress to the upstream, the JVM inside its memory limit, readiness and drains, secrets kept out
 * of the ConfigMap, and the smaller ones. Rendered by the real helm 4 (and 3 where both matter), as
 * {@link DeploymentIT} does; values a user would write are given as files, as a user gives them.
 */
class ChartValuesIT {

    private static final Path CHART = Path.of("helm-chart/chartgate");
    /** The least a standalone install needs: the README's own first example. */
    private static final String MINIMAL = """
            tls: { existingSecret: chartgate-tls }
            clientCa: { secretName: client-ca }
            policy: { rules: [{ name: readers, match: { ou: engineering }, read: ["/**"] }] }
            """;
    private static final long MI = 1L << 20;

    @TempDir
    Path dir;

    private HelmCli.Result template(String major, String... values) throws Exception {
        List<String> args = new ArrayList<>(List.of("template", "gw", CHART.toString()));
        for (int i = 0; i < values.length; i++) {
            args.addAll(List.of("-f", Files.writeString(dir.resolve("values-" + i + ".yaml"), values[i]).toString()));
        }
        return HelmCli.of(major, dir.resolve("helm" + major)).run(Path.of("."), args.toArray(String[]::new));
    }

    private List<JsonNode> renderWithHelm(String major, String... values) throws Exception {
        return Manifests.of(template(major, values));
    }

    private List<JsonNode> render(String... values) throws Exception {
        return renderWithHelm("4", values);
    }

    /** The chart refuses {@code values}: the schema or a {@code fail}, with {@code complaint} in what helm prints. */
    private void refused(String complaint, String... values) throws Exception {
        for (String major : List.of("3", "4")) {
            HelmCli.Result out = template(major, values);
            assertFalse(out.ok(), () -> "helm " + major + " rendered it:\n" + out.output());
            assertTrue(out.output().contains(complaint), () -> "helm " + major + ": " + out);
        }
    }

    private static boolean has(List<JsonNode> docs, String kind) {
        return docs.stream().anyMatch(d -> d.get("kind").asText().equals(kind));
    }

    private static JsonNode deployment(List<JsonNode> docs) {
        return docs.stream().filter(d -> d.get("kind").asText().equals("Deployment")).findFirst().orElseThrow();
    }

    private static JsonNode gateway(List<JsonNode> docs) {
        return deployment(docs).at("/spec/template/spec/containers/0");
    }

    private static String env(JsonNode container, String name) {
        for (JsonNode e : container.get("env")) {
            if (e.get("name").asText().equals(name)) {
                return e.path("value").asText();
            }
        }
        throw new AssertionError("no " + name + " in " + container.get("env"));
    }

    /** The ports the NetworkPolicy lets the gateway connect to, DNS left out. */
    private static Set<Integer> egressPorts(List<JsonNode> docs) {
        Set<Integer> ports = new HashSet<>();
        kind(docs, "NetworkPolicy").at("/spec/egress").forEach(rule -> rule.path("ports").forEach(p -> {
            if (p.get("port").asInt() != 53) {
                ports.add(p.get("port").asInt());
            }
        }));
        return ports;
    }

    private static long bytes(String quantity) {
        Matcher m = Pattern.compile("(\\d+)(Ki|Mi|Gi|k|m|g|M|G)?").matcher(quantity.trim());
        assertTrue(m.matches(), quantity);
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2) == null ? "" : m.group(2)) {
            case "Ki", "k" -> n << 10;
            case "Mi", "m", "M" -> n << 20;
            case "Gi", "g", "G" -> n << 30;
            default -> n;
        };
    }

    // --- 1. the NetworkPolicy and the upstream

    @ParameterizedTest(name = "helm {0}")
    @ValueSource(strings = {"3", "4"})
    void theDefaultNetworkPolicyLetsTheGatewayReachTheUpstreamOfItsRoute(String major) throws Exception {
        // values.yaml's route is http://chartmuseum:8080: egress to 8080 besides DNS, or /readyz never passes
        assertEquals(Set.of(8080), egressPorts(renderWithHelm(major, MINIMAL)));
    }

    @Test
    void egressFollowsEveryRouteAndAnS3RouteOnAwsGets443() throws Exception {
        List<JsonNode> docs = render(MINIMAL, """
                routes:
                  - { name: museum, prefix: /, upstream: { type: http, url: "http://chartmuseum:8080" } }
                  - { name: minio, prefix: /minio, upstream: { type: s3, endpoint: "http://minio.storage:9000", bucket: charts,
                      accessKeyId: "${MINIO_USER}", secretAccessKey: "${MINIO_PASSWORD}" } }
                  - { name: aws, prefix: /aws, upstream: { type: s3, bucket: charts, region: eu-west-1 } }
                  - { name: nexus, prefix: /nexus, upstream: { type: http, url: "https://nexus.example.com/repository/helm/" } }
                networkPolicy:
                  upstreamEgress: [{ namespaceSelector: { matchLabels: { team: charts } } }]
                """);
        assertEquals(Set.of(8080, 9000, 443), egressPorts(docs));
        JsonNode upstreamRule = kind(docs, "NetworkPolicy").at("/spec/egress/1");
        assertEquals("charts", upstreamRule.at("/to/0/namespaceSelector/matchLabels/team").asText(),
                "upstreamEgress narrows who is reached on those ports: " + upstreamRule);
    }

    @Test
    void anUpstreamUrlFromAnEnvironmentVariableIsRefusedWhileTheNetworkPolicyNeedsItsPort() throws Exception {
        refused("networkPolicy.enabled=false", MINIMAL, """
                routes: [{ name: museum, prefix: /, upstream: { type: http, url: "${MUSEUM_URL}" } }]
                """);
    }

    // --- 2. the JVM and its container

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"standalone", "sidecar"})
    void heapDirectMemoryAndTheIndexCacheFitTheMemoryLimitWithRoomForTheJvm(String mode) throws Exception {
        List<JsonNode> docs = render(MINIMAL, "mode: " + mode + "\nroutes: " + ("sidecar".equals(mode) ? "null" : "[{ name: museum, prefix: /, upstream: { type: http, url: \"http://chartmuseum:8080\" } }]"));
        JsonNode gateway = gateway(docs);
        long limit = bytes(gateway.at("/resources/limits/memory").asText());
        String options = env(gateway, "JAVA_TOOL_OPTIONS");
        assertTrue(options.contains("-XX:+ExitOnOutOfMemoryError"), options);
        Matcher percent = Pattern.compile("-XX:MaxRAMPercentage=(\\d+)").matcher(options);
        Matcher direct = Pattern.compile("-XX:MaxDirectMemorySize=(\\w+)").matcher(options);
        assertTrue(percent.find(), "the heap is a share of the limit: " + options);
        assertTrue(direct.find(), "without MaxDirectMemorySize the JVM allows as much direct memory as heap: " + options);
        long heap = limit * Integer.parseInt(percent.group(1)) / 100;
        long directBytes = bytes(direct.group(1));
        // kept for metaspace, code cache, thread stacks, GC and BoringSSL (scripts/image-test.sh runs these values under load)
        long jvmOwn = 128 * MI;
        assertTrue(heap + directBytes + jvmOwn <= limit,
                () -> "heap " + heap / MI + " MiB + direct " + directBytes / MI + " MiB + the JVM's own " + jvmOwn / MI
                        + " MiB exceed the limit of " + limit / MI + " MiB");
        String config = kind(docs, "ConfigMap").at("/data/chartgate.yaml").asText();
        Matcher configured = Pattern.compile("\"indexCacheBytes\":\"?(\\w+)").matcher(config);
        long indexCache = configured.find() ? bytes(configured.group(1)) : Limits.DEFAULTS.indexCacheBytes();
        assertTrue(indexCache > 0 && indexCache <= heap / 2,
                "the index cache (" + indexCache / MI + " MiB) must leave the heap room for the requests in flight");
        assertEquals(limit, bytes(gateway.at("/resources/requests/memory").asText()),
                "a JVM grows to its heap: request what it will use");
    }

    @Test
    void jvmOptionsReachTheJvmAfterTheFixedOnes() throws Exception {
        String options = env(gateway(render(MINIMAL, "jvmOptions: \"-XX:MaxRAMPercentage=60 -XX:MaxDirectMemorySize=200m\"")),
                "JAVA_TOOL_OPTIONS");
        assertEquals("-Djava.io.tmpdir=/tmp -XX:+ExitOnOutOfMemoryError -XX:MaxRAMPercentage=60 -XX:MaxDirectMemorySize=200m",
                options);
    }

    // --- 3. readiness, the PDB and rollouts

    @Test
    void readinessAsksTheGatewayByDefaultAndTheUpstreamOnlyWhenAskedTo() throws Exception {
        JsonNode gateway = gateway(render(MINIMAL));
        assertEquals("/healthz", gateway.at("/readinessProbe/httpGet/path").asText(),
                "an upstream blip must not take every replica out of the Service");
        assertEquals("/readyz", gateway(render(MINIMAL, "readiness: upstream")).at("/readinessProbe/httpGet/path").asText());
        refused("readiness", MINIMAL, "readiness: always");
    }

    @Test
    void thePdbLetsUnreadyPodsBeEvicted() throws Exception {
        JsonNode pdb = kind(render(MINIMAL), "PodDisruptionBudget");
        assertEquals("AlwaysAllow", pdb.at("/spec/unhealthyPodEvictionPolicy").asText());
    }

    @Test
    void sidecarModeRecreatesItsPodAndHasNoPdbThatBlocksDrains() throws Exception {
        List<JsonNode> docs = render(MINIMAL, """
                mode: sidecar
                routes: null
                chartmuseum: { persistence: { enabled: true } }
                """);
        assertEquals(1, deployment(docs).at("/spec/replicas").asInt());
        assertEquals("Recreate", deployment(docs).at("/spec/strategy/type").asText(),
                "a RollingUpdate would start a second pod on the ReadWriteOnce claim (Multi-Attach)");
        assertFalse(has(docs, "PodDisruptionBudget"), "minAvailable 1 of 1 pod blocks every node drain");
    }

    @Test
    void oneStandaloneReplicaHasNoPdbEither() throws Exception {
        assertFalse(has(render(MINIMAL, "replicaCount: 1"), "PodDisruptionBudget"));
    }

    @Test
    void theSchemaRefusesAutoscalingInSidecarMode() throws Exception {
        refused("autoscaling", MINIMAL, "mode: sidecar\nroutes: null\nautoscaling: { enabled: true }");
    }

    // --- 4. secrets

    @Test
    void secretsReachTheGatewayFromSecretsAndTheConfigMapHoldsOnlyTheirNames() throws Exception {
        List<JsonNode> docs = render(MINIMAL, """
                routes:
                  - { name: bucket, prefix: /, upstream: { type: s3, endpoint: "http://minio:9000", bucket: charts,
                      accessKeyId: "${S3_KEY_ID}", secretAccessKey: "${S3_SECRET}" } }
                extraEnv:
                  - name: S3_SECRET
                    valueFrom: { secretKeyRef: { name: minio, key: secret } }
                envFrom:
                  - secretRef: { name: minio-ids }
                extraVolumes:
                  - name: upstream-ca
                    configMap: { name: upstream-ca }
                extraVolumeMounts:
                  - { name: upstream-ca, mountPath: /etc/chartgate/upstream-ca, readOnly: true }
                """);
        JsonNode gateway = gateway(docs);
        JsonNode secretEnv = null;
        for (JsonNode e : gateway.get("env")) {
            if (e.get("name").asText().equals("S3_SECRET")) {
                secretEnv = e;
            }
        }
        assertNotNull(secretEnv, gateway.get("env").toString());
        assertEquals("minio", secretEnv.at("/valueFrom/secretKeyRef/name").asText());
        assertEquals("minio-ids", gateway.at("/envFrom/0/secretRef/name").asText());
        assertTrue(gateway.get("volumeMounts").toString().contains("/etc/chartgate/upstream-ca"));
        assertTrue(deployment(docs).at("/spec/template/spec/volumes").toString().contains("\"upstream-ca\""));
        String config = kind(docs, "ConfigMap").at("/data/chartgate.yaml").asText();
        assertTrue(config.contains("${S3_SECRET}"), config);
        // and the gateway reads it: the rendered configuration passes config check once the variables are set
        Path file = Files.writeString(dir.resolve("rendered.yaml"), config);
        StringWriter out = new StringWriter();
        int code = Main.execute(new String[] {"config", "check", "--no-files", "--config", file.toString()},
                Map.of("S3_KEY_ID", "minio", "S3_SECRET", "minio-secret"), new PrintWriter(out), new PrintWriter(out));
        assertEquals(0, code, () -> out + "\n" + config);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
        "{ type: s3, bucket: charts, accessKeyId: AKIAEXAMPLE, secretAccessKey: wJalrXUtnFEMIK7MDENG }",
        "{ type: s3, bucket: charts, accessKeyId: \"${ID}\", secretAccessKey: \"${KEY}\", sessionToken: FwoGZXIvYXdzEXAMPLE }",
        "{ type: http, url: \"http://museum:8080\", auth: { basic: { username: gw, password: hunter2 } } }",
        "{ type: http, url: \"http://museum:8080\", auth: { bearer: eyJhbGciOiJIUzI1NiJ9 } }"})
    void theSchemaRefusesALiteralSecretInARoute(String upstream) throws Exception {
        refused("routes", MINIMAL, "routes: [{ name: r, prefix: /, upstream: " + upstream + " }]");
    }

    // --- 5. the smaller ones

    @Test
    void aServiceMonitorNeedsMetricsFromToScrapeThroughTheNetworkPolicy() throws Exception {
        refused("networkPolicy.metricsFrom", MINIMAL, "serviceMonitor: { enabled: true }");
        render(MINIMAL, "serviceMonitor: { enabled: true }\nnetworkPolicy: { metricsFrom: [{ podSelector: {} }] }");
    }

    @Test
    void intermediateCasAndFetchedCrlsReachTheConfigurationTheMountsAndTheNetworkPolicy() throws Exception {
        List<JsonNode> docs = render(MINIMAL, """
                routes: [{ name: museum, prefix: /, upstream: { type: http, url: "http://chartmuseum:8080" } }]
                intermediateCa: { secretName: issuing-cas }
                crl: { fetch: { enabled: true, intervalSeconds: 600 } }
                """);
        String yaml = kind(docs, "ConfigMap").at("/data/chartgate.yaml").asText();
        io.chartgate.config.TlsConfig tls = new io.chartgate.config.ConfigLoader(java.util.Map.of())
                .parse(yaml, null).server().tls();
        assertEquals(Path.of("/etc/chartgate/intermediate-ca/intermediates.crt"), tls.intermediateCaFile());
        assertTrue(tls.crlFetch().enabled(), yaml);
        assertEquals(600, tls.crlFetch().intervalSeconds());
        assertEquals(Path.of("/tmp/chartgate-crls"), tls.crlFetch().cacheDir(), "on the writable /tmp emptyDir");
        assertEquals(io.chartgate.config.CrlStale.REJECT, tls.crlStale());
        assertTrue(gateway(docs).get("volumeMounts").toString().contains("/etc/chartgate/intermediate-ca"));
        assertTrue(deployment(docs).at("/spec/template/spec/volumes").toString().contains("\"secretName\":\"issuing-cas\""));
        assertTrue(egressPorts(docs).contains(80), "the distribution points are reachable: " + egressPorts(docs));
        assertFalse(egressPorts(render(MINIMAL, "routes: [{ name: museum, prefix: /, upstream: { type: http, url: \"https://cm:8443\" } }]"))
                .contains(80), "without crl.fetch no port 80");
    }

    @Test
    void aCrlSourceWithoutKeysIsRefusedRatherThanMountingNoCrl() throws Exception {
        refused("crl.keys", MINIMAL, "crl: { secretName: ca-crl }");
        refused("crl.keys", MINIMAL, "crl: { configMapName: ca-crl }");
    }

    @Test
    void theSchemaRefusesMisspeltKeys() throws Exception {
        refused("replicaCont", MINIMAL, "replicaCont: 3");
        refused("minAvailabe", MINIMAL, "podDisruptionBudget: { minAvailabe: 1 }");
        refused("upstreamEgres", MINIMAL, "networkPolicy: { upstreamEgres: [] }");
    }

    @Test
    void aHookChecksTheNewConfigurationBeforeAnInstallOrUpgradeChangesAnything() throws Exception {
        List<JsonNode> docs = render(MINIMAL, "envFrom: [{ secretRef: { name: upstream-credentials } }]");
        JsonNode job = kind(docs, "Job");
        assertTrue(job.at("/metadata/annotations/helm.sh~1hook").asText().contains("pre-upgrade"), job.toString());
        JsonNode check = job.at("/spec/template/spec/containers/0");
        assertEquals("[\"config\",\"check\",\"--no-files\",\"--config\",\"/etc/chartgate/config/chartgate.yaml\"]",
                check.get("args").toString());
        assertEquals("upstream-credentials", check.at("/envFrom/0/secretRef/name").asText(), "so ${VAR} resolve as in the pod");
        assertEquals(0, job.at("/spec/backoffLimit").asInt());
        JsonNode hookConfig = docs.stream().filter(d -> d.get("kind").asText().equals("ConfigMap")
                && d.at("/metadata/name").asText().endsWith("-config-check")).findFirst().orElseThrow();
        JsonNode podConfig = docs.stream().filter(d -> d.get("kind").asText().equals("ConfigMap")
                && d.at("/metadata/name").asText().equals("gw-chartgate")).findFirst().orElseThrow();
        assertEquals(podConfig.at("/data/chartgate.yaml"), hookConfig.at("/data/chartgate.yaml"),
                "the hook checks exactly what the pods will load");
        assertFalse(job.at("/spec/template/metadata/labels").toString().contains("\"app.kubernetes.io/name\":\"chartgate\""),
                "the hook's pod must not carry the Service's selector");
    }

    @Test
    void theKubeletWaitsForPreStopAndTheWholeDrainBeforeSigkill() throws Exception {
        List<JsonNode> docs = render(MINIMAL);
        JsonNode pod = deployment(docs).at("/spec/template/spec");
        JsonNode preStop = pod.at("/containers/0/lifecycle/preStop/exec/command");
        assertEquals("sleep", preStop.get(0).asText(), pod.toString());
        int sleep = preStop.get(1).asInt();
        assertTrue(sleep > 0);
        String config = kind(docs, "ConfigMap").at("/data/chartgate.yaml").asText();
        Matcher grace = Pattern.compile("shutdownGraceSeconds: (\\d+)").matcher(config);
        assertTrue(grace.find(), config);
        assertTrue(pod.get("terminationGracePeriodSeconds").asInt() > sleep + Integer.parseInt(grace.group(1)),
                "terminationGracePeriodSeconds " + pod.get("terminationGracePeriodSeconds") + " vs preStop " + sleep
                        + " s + shutdownGraceSeconds " + grace.group(1));
    }

    @Test
    void tmpHasASizeLimitThatHoldsTheS3Spool() throws Exception {
        JsonNode tmp = null;
        List<JsonNode> docs = render(MINIMAL, """
                routes:
                  - { name: a, prefix: /a, upstream: { type: s3, endpoint: "http://minio:9000", bucket: charts, payloadSigning: spool,
                      accessKeyId: "${ID}", secretAccessKey: "${KEY}" } }
                  - { name: b, prefix: /b, upstream: { type: s3, endpoint: "http://minio:9000", bucket: other, payloadSigning: spool,
                      spoolMaxBytes: 512Mi, accessKeyId: "${ID}", secretAccessKey: "${KEY}" } }
                """);
        for (JsonNode v : deployment(docs).at("/spec/template/spec/volumes")) {
            if (v.get("name").asText().equals("tmp")) {
                tmp = v;
            }
        }
        assertNotNull(tmp);
        long size = bytes(tmp.at("/emptyDir/sizeLimit").asText());
        assertTrue(size >= (4L << 30) + (512L << 20), "a sizeLimit below both spools (4Gi + 512Mi) evicts the pod: " + tmp);
        assertTrue(bytes(deployment(render(MINIMAL)).at("/spec/template/spec/volumes").findValue("sizeLimit").asText()) > 0,
                "without a spool /tmp is still bounded");
    }

    @Test
    void notesPrintAUrlTheServerCertificateNames() throws Exception {
        HelmCli helm = HelmCli.of("4", dir.resolve("helm4"));
        Path values = Files.writeString(dir.resolve("cm.yaml"), MINIMAL + """
                tls: { existingSecret: "", certManager: { enabled: true, issuerRef: { name: ca }, dnsNames: [charts.example.com] } }
                """);
        HelmCli.Result out = helm.run(Path.of("."), "install", "gw", CHART.toString(), "--dry-run=client", "-f", values.toString());
        assertTrue(out.ok(), out::toString);
        String notes = out.output().substring(out.output().indexOf("NOTES:"));
        assertTrue(notes.contains("helm repo add charts https://charts.example.com "), notes);
        assertFalse(notes.contains(".svc"), notes);
        refused("tls.certManager.dnsNames", MINIMAL, """
                publicUrl: https://charts.other.example
                tls: { existingSecret: "", certManager: { enabled: true, issuerRef: { name: ca }, dnsNames: [charts.example.com] } }
                """);
    }
}
