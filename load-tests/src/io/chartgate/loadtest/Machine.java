package io.chartgate.loadtest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarFile;

/** What the results were measured on, for the header of the table. */
final class Machine {

    private Machine() {
    }

    static String describe() {
        String cpu = "unknown CPU";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse(cpu);
        } catch (IOException ignored) {
            // not Linux
        }
        long cores = 0;
        try {
            cores = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("processor")).count();
        } catch (IOException ignored) {
            // not Linux
        }
        return cpu + ", " + cores + " cores, " + System.getProperty("os.name") + " " + System.getProperty("os.version");
    }

    static String versions(Path jar) {
        return "chartgate " + chartgateVersion(jar) + " (Java " + System.getProperty("java.version") + ", Netty "
                + io.netty.util.Version.identify().getOrDefault("netty-common",
                io.netty.util.Version.identify().values().iterator().next()).artifactVersion()
                + ", " + io.netty.handler.ssl.OpenSsl.versionString() + "); " + firstLine("nginx", "-v") + " ("
                + firstLine("openssl", "version") + ")";
    }

    private static String chartgateVersion(Path jar) {
        try (JarFile file = new JarFile(jar.toFile())) {
            String version = file.getManifest().getMainAttributes().getValue("Implementation-Version");
            return version == null ? "(no version in manifest)" : version;
        } catch (IOException e) {
            return "(unreadable jar)";
        }
    }

    private static String firstLine(String... command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            process.waitFor();
            List<String> lines = out.lines().toList();
            return lines.isEmpty() ? command[0] : lines.get(0).replace("nginx version: ", "");
        } catch (IOException | InterruptedException e) {
            return command[0] + " (not found)";
        }
    }
}
