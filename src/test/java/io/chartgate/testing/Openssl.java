package io.chartgate.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the real {@code openssl} CLI; a missing binary fails the test with the install step, never skips it. */
public final class Openssl {

    private Openssl() {
    }

    /** Runs {@code openssl args…} in {@code dir} and returns its output; fails the test on a non-zero exit. */
    public static String run(Path dir, String... args) {
        List<String> command = new ArrayList<>();
        command.add("openssl");
        command.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("openssl " + String.join(" ", args) + " did not finish");
            }
            if (p.exitValue() != 0) {
                fail("openssl " + String.join(" ", args) + " failed (" + p.exitValue() + "):\n" + output);
            }
            return output;
        } catch (IOException e) {
            return fail("the openssl CLI is required by this test and was not found; run scripts/test.sh, "
                    + "which installs it (apt-get install openssl)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail("interrupted", e);
        }
    }
}
