package io.chartgate.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Prometheus' real {@code promtool}; missing, it fails the test with the install step. */
public final class Promtool {

    private Promtool() {
    }

    /** Runs {@code promtool args…} with {@code stdin} and returns (exit code, output). */
    public static HelmCli.Result run(String stdin, String... args) {
        Path binary = Files.isExecutable(Path.of("/usr/bin/promtool")) ? Path.of("/usr/bin/promtool") : null;
        if (binary == null) {
            fail("promtool is required by this test and was not found; run scripts/test.sh, which installs it "
                    + "(apt-get install prometheus)");
        }
        List<String> command = new ArrayList<>();
        command.add(binary.toString());
        command.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            try (OutputStream in = p.getOutputStream()) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("promtool did not finish");
            }
            return new HelmCli.Result(p.exitValue(), output);
        } catch (IOException e) {
            return fail("cannot run promtool", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail("interrupted", e);
        }
    }
}
