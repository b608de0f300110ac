package io.chartgate.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.chartgate.testing.HelmCli;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code chartgate demo} as users run it: the packaged jar as its own process. The {@code helm repo add}
 * line it prints must work as printed with helm 3 and helm 4, and SIGTERM must stop it cleanly (exit 0,
 * temporary directory gone).
 */
class DemoIT {

    @TempDir
    static Path work;

    private static Process demo;
    private static final BlockingQueue<String> OUTPUT = new LinkedBlockingQueue<>();
    private static final List<String> PRINTED = new ArrayList<>();

    @BeforeAll
    static void startDemo() throws Exception {
        String jar = System.getProperty("chartgate.jar", "target/chartgate.jar");
        assertTrue(Files.exists(Path.of(jar)), jar + " is missing: the integration tests run after `mvn package`");
        demo = new ProcessBuilder("java", "-jar", jar, "demo", "--port", "0").redirectErrorStream(true).start();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(demo.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    OUTPUT.add(line);
                }
            } catch (IOException e) {
                // the process ended
            }
        }, "demo-output");
        reader.setDaemon(true);
        reader.start();
        while (PRINTED.stream().noneMatch(l -> l.startsWith("Metrics:"))) {
            String line = OUTPUT.poll(60, TimeUnit.SECONDS);
            if (line == null) {
                fail("demo printed no instructions within 60 s; it printed:\n" + String.join("\n", PRINTED));
            }
            PRINTED.add(line);
        }
    }

    @AfterAll
    static void stopDemo() {
        if (demo != null && demo.isAlive()) {
            demo.destroyForcibly();
        }
    }

    private static String printed(String prefix) {
        return PRINTED.stream().map(String::trim).filter(l -> l.startsWith(prefix)).findFirst()
                .orElseThrow(() -> new AssertionError("demo printed no line starting with \"" + prefix + "\":\n"
                        + String.join("\n", PRINTED)));
    }

    @Test
    void thePrintedHelmRepoAddWorksAsIsWithHelm3AndHelm4() throws IOException {
        String add = printed("helm repo add ");
        for (String major : List.of("3", "4")) {
            HelmCli helm = HelmCli.of(major, work.resolve("helm" + major));
            String[] args = add.substring("helm ".length()).split(" ");
            HelmCli.Result result = helm.run(work, args);
            assertTrue(result.ok(), () -> "helm " + major + ": " + result);
            HelmCli.Result update = helm.run(work, "repo", "update", "chartgate-demo");
            assertTrue(update.ok(), update::toString);
            Files.createDirectories(work.resolve("pull" + major));
            HelmCli.Result pull = helm.run(work, "pull", "chartgate-demo/hello", "--version", "0.2.0", "-d", work.resolve("pull" + major).toString());
            assertTrue(pull.ok(), pull::toString);
            assertTrue(Files.exists(work.resolve("pull" + major).resolve("hello-0.2.0.tgz")));
        }
    }

    @Test
    void theRevokedUserIsRefusedInTheHandshakeAsPrinted() {
        String curl = PRINTED.stream().filter(l -> l.contains("revoked-user.crt")).findFirst().orElseThrow().trim();
        List<String> words = Arrays.asList(curl.split(" "));
        String cert = words.get(words.indexOf("--cert") + 1);
        String key = words.get(words.indexOf("--key") + 1);
        String ca = words.get(words.indexOf("--cacert") + 1);
        String url = words.get(words.size() - 1).replace("/index.yaml", "");
        HelmCli helm = HelmCli.of("4", work.resolve("helm-revoked"));
        HelmCli.Result result = helm.run(work, "repo", "add", "revoked", url, "--cert-file", cert, "--key-file", key, "--ca-file", ca);
        assertFalse(result.ok(), result::toString);
        assertTrue(result.output().contains("remote error: tls: revoked certificate"), result::toString);
    }

    @Test
    void sigtermStopsTheDemoWithExitZeroAndRemovesItsDirectory() throws Exception {
        // a demo of its own, so the order of the tests does not matter
        Process second = new ProcessBuilder("java", "-jar", System.getProperty("chartgate.jar", "target/chartgate.jar"),
                "demo", "--port", "0").redirectErrorStream(true).start();
        BufferedReader in = new BufferedReader(new InputStreamReader(second.getInputStream(), StandardCharsets.UTF_8));
        String line;
        String dirLine = null;
        while ((line = in.readLine()) != null && !line.startsWith("Metrics:")) {
            if (line.startsWith("chartgate demo is running")) {
                dirLine = line;
            }
        }
        assertNotNull(dirLine, "no 'running' line");
        Path dir = Path.of(dirLine.substring(dirLine.indexOf("removes ") + "removes ".length(), dirLine.length() - 1));
        assertTrue(Files.isDirectory(dir), dir::toString);
        // SIGHUP reloads (it does not end the process)
        new ProcessBuilder("kill", "-HUP", Long.toString(second.pid())).start().waitFor();
        String reloaded = null;
        while ((line = in.readLine()) != null) {
            if (line.contains("\"event\":\"config_reload\"")) {
                reloaded = line;
                break;
            }
        }
        assertTrue(reloaded != null && reloaded.contains("\"trigger\":\"signal\"") && reloaded.contains("\"result\":\"success\""),
                String.valueOf(reloaded));
        assertTrue(second.isAlive());
        second.destroy();
        assertTrue(second.waitFor(30, TimeUnit.SECONDS), "demo did not stop on SIGTERM");
        assertEquals(0, second.exitValue());
        assertFalse(Files.exists(dir), "the temporary directory is left behind");
    }
}
