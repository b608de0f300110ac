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
 * A real browser for tests: headless Chromium (Debian's {@code chromium}) loads a page, runs it as a user's would,
 * and gives back the DOM it built or a screenshot. A missing binary fails the test with the install step, never
 * skips it.
 */
public final class Chromium {

    private static final String BINARY = "chromium";

    private final Path profile;

    private Chromium(Path profile) {
        this.profile = profile;
    }

    /** A browser whose profile (and logs) live in {@code dir}, so runs share nothing with each other. */
    public static Chromium in(Path dir) {
        try {
            return new Chromium(Files.createDirectories(dir.resolve("chromium-profile")));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The DOM after the page at {@code url} loaded, serialized as HTML. */
    public String dumpDom(String url) {
        return run("--dump-dom", url);
    }

    /** Saves a PNG of the page at {@code url} as a {@code width} x {@code height} window shows it. */
    public Path screenshot(String url, Path file, int width, int height) {
        Path absolute = file.toAbsolutePath();
        try {
            Files.createDirectories(absolute.getParent());
            Files.deleteIfExists(absolute);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        run("--screenshot=" + absolute, "--window-size=" + width + "," + height, "--hide-scrollbars", url);
        if (!Files.isRegularFile(absolute)) {
            fail("chromium wrote no screenshot to " + absolute + "; its log: " + log());
        }
        return absolute;
    }

    private String run(String... args) {
        List<String> command = new ArrayList<>(List.of(BINARY, "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions", "--user-data-dir=" + profile));
        command.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(command).redirectError(profile.resolve("chromium.log").toFile()).start();
            p.getOutputStream().close();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("chromium " + String.join(" ", args) + " did not finish");
            }
            if (p.exitValue() != 0) {
                fail("chromium " + String.join(" ", args) + " failed (" + p.exitValue() + "): " + log());
            }
            return output;
        } catch (IOException e) {
            return fail("headless Chromium is required by this test and was not found; run scripts/test.sh, "
                    + "which installs it (apt-get install chromium)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail("interrupted", e);
        }
    }

    private String log() {
        try {
            return Files.readString(profile.resolve("chromium.log"));
        } catch (IOException e) {
            return "(no log)";
        }
    }
}
