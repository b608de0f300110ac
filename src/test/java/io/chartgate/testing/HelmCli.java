package io.chartgate.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real helm CLI, 3.17.3 or 4.1.4, as {@code scripts/fetch-helm.sh} caches it in {@code .cache/helm/vN/}.
 * Each instance has its own helm home (repositories, cache, config), so tests never touch {@code $HOME}.
 * A missing binary fails the test with the install step; it never skips.
 */
public final class HelmCli {

    /** What one helm command printed and how it ended. */
    public record Result(int exitCode, String output) {
        public boolean ok() {
            return exitCode == 0;
        }

        @Override
        public String toString() {
            return "exit " + exitCode + ":\n" + output;
        }
    }

    private final String major;
    private final Path binary;
    private final Path home;

    private HelmCli(String major, Path binary, Path home) {
        this.major = major;
        this.binary = binary;
        this.home = home;
    }

    /** helm {@code major} ("3" or "4") with a fresh home under {@code home}. */
    public static HelmCli of(String major, Path home) {
        Path binary = Path.of(".cache/helm/v" + major + "/helm").toAbsolutePath();
        if (!Files.isExecutable(binary)) {
            fail(binary + " is missing; run scripts/fetch-helm.sh (scripts/test.sh does it)");
        }
        try {
            Files.createDirectories(home);
        } catch (IOException e) {
            fail("cannot create " + home, e);
        }
        return new HelmCli(major, binary, home);
    }

    public String major() {
        return major;
    }

    /** Runs {@code helm args…} in {@code workDir} and returns what it printed (stdout and stderr together). */
    public Result run(Path workDir, String... args) {
        List<String> command = new ArrayList<>();
        command.add(binary.toString());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true);
        builder.environment().put("HELM_CACHE_HOME", home.resolve("cache").toString());
        builder.environment().put("HELM_CONFIG_HOME", home.resolve("config").toString());
        builder.environment().put("HELM_DATA_HOME", home.resolve("data").toString());
        builder.environment().remove("KUBECONFIG");
        try {
            Process p = builder.start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("helm " + String.join(" ", args) + " did not finish");
            }
            return new Result(p.exitValue(), output);
        } catch (IOException e) {
            return fail("cannot run " + binary, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail("interrupted", e);
        }
    }
}
