package io.chartgate.loadtest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The podman CLI, as the image run drives it: one command at a time, output and exit code captured. */
final class Podman {

    private Podman() {
    }

    /** What one podman command printed (stdout and stderr together) and how it ended. */
    record Result(int exitCode, String output) {
        boolean ok() {
            return exitCode == 0;
        }

        /** The output or, when the command failed, an exception naming it. */
        String orThrow(List<String> args) {
            if (!ok()) {
                throw new IllegalStateException("podman " + String.join(" ", args) + " exited " + exitCode + ":\n" + output);
            }
            return output;
        }
    }

    static Result run(List<String> args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("podman"));
        command.addAll(args);
        Path log = Files.createTempFile("podman", ".log");
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!process.waitFor(5, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new IllegalStateException("podman " + String.join(" ", args) + " did not finish within 5 minutes");
            }
            return new Result(process.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(log);
        }
    }

    static Result run(String... args) throws IOException, InterruptedException {
        return run(List.of(args));
    }

    /** Runs a podman command that must succeed; returns its output. */
    static String must(String... args) throws IOException, InterruptedException {
        return run(args).orThrow(List.of(args));
    }

    /** One field of {@code podman inspect}, by Go template. */
    static String inspect(String container, String template) throws IOException, InterruptedException {
        return must("inspect", "--format", template, container).trim();
    }

    /**
     * Runs the image's own HEALTHCHECK (as {@code podman healthcheck run}) until it passes, failing early when the
     * container stops. Podman's periodic checks need systemd, which these machines do not run, so the containers
     * are started with {@code --health-interval disable} and checked here.
     */
    static void awaitHealthy(String container, int seconds) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        Result last = null;
        while (System.nanoTime() < deadline) {
            if (!"running".equals(inspect(container, "{{.State.Status}}"))) {
                throw new IllegalStateException(container + " stopped before it was healthy ("
                        + inspect(container, "exit code {{.State.ExitCode}}, OOMKilled {{.State.OOMKilled}}") + "):\n"
                        + run("logs", container).output());
            }
            last = run("healthcheck", "run", container);
            if (last.ok()) {
                return;
            }
            Thread.sleep(1000);
        }
        throw new IllegalStateException(container + " was not healthy within " + seconds + " s (last check: "
                + (last == null ? "none" : last.output().trim()) + "):\n" + run("logs", container).output());
    }

    /** Removes a container if it exists, running or not. */
    static void remove(String container) throws IOException, InterruptedException {
        run("rm", "-f", "-t", "5", container);
    }
}
