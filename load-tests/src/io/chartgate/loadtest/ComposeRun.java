package io.chartgate.loadtest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * docker/compose.yaml's own services run with podman as Docker Compose would run them: each service's user,
 * entrypoint, command, volumes, read_only, tmpfs and capabilities translated to {@code podman run}, its
 * {@code build} replaced by the image under test, and named volumes created new and root-owned, as Docker creates
 * them. No Docker engine runs here, and ChartMuseum's image cannot be pulled: its part is checked as the user its
 * image runs as (UID 1000) writing the storage volume.
 */
final class ComposeRun {

    private static final String PREFIX = "chartgate-compose-test-";

    private final String image;
    private final Path composeDir;
    private final JsonNode services;
    private final Map<String, String> volumes = new LinkedHashMap<>();

    ComposeRun(String image, Path composeFile) throws IOException {
        this.image = image;
        this.composeDir = composeFile.toAbsolutePath().getParent();
        JsonNode compose = new YAMLMapper().readTree(composeFile.toFile());
        this.services = compose.get("services");
        compose.path("volumes").fieldNames().forEachRemaining(name -> volumes.put(name, PREFIX + name));
    }

    /** Runs the one-shot services, checks what they left, then starts chartgate as compose would and waits for its health. */
    void run() throws IOException, InterruptedException {
        try {
            for (String volume : volumes.values()) {
                Podman.run("volume", "rm", "-f", volume);
                Podman.must("volume", "create", volume);
            }
            // Podman hands a new volume to the user of the first container that mounts it; Docker leaves it root-owned.
            // Mounting each once as root first makes podman's volumes start out as Docker's do.
            List<String> asRoot = new ArrayList<>(List.of("run", "--rm", "--network", "none", "--user", "0:0"));
            volumes.values().forEach(v -> asRoot.addAll(List.of("-v", v + ":/volumes/" + v)));
            asRoot.addAll(List.of("--entrypoint", "/bin/true", image));
            Podman.run(asRoot).orThrow(asRoot);

            for (String oneShot : List.of("volumes-init", "certs-init")) {
                List<String> args = runArgs(oneShot, List.of("--rm"));
                Podman.Result result = Podman.run(args);
                if (!result.ok()) {
                    throw new IllegalStateException("compose's " + oneShot + " failed (exit " + result.exitCode() + "), as it would under"
                            + " docker compose:\n" + result.output());
                }
                System.out.println("compose: " + oneShot + " completed");
            }
            // ChartMuseum's image runs as 1000:1000 and writes its storage volume
            String storage = volumeOf("chartmuseum", "/storage");
            Podman.Result museum = Podman.run("run", "--rm", "--network", "none", "--user", "1000:1000", "-v", storage + ":/storage",
                    "--entrypoint", "/bin/sh", image, "-c", "touch /storage/.write-test && rm /storage/.write-test");
            if (!museum.ok()) {
                throw new IllegalStateException("ChartMuseum (UID 1000) could not write its storage volume:\n" + museum.output());
            }
            System.out.println("compose: ChartMuseum's storage volume is writable by UID 1000");

            String crl = PREFIX + "crl-renew";
            Podman.remove(crl);
            Podman.run(runArgs("crl-renew", List.of("-d", "--name", crl))).orThrow(List.of("run", "crl-renew"));
            awaitLog(crl, "re-signed", 60);
            System.out.println("compose: crl-renew re-signed the CRL: " + Podman.run("logs", crl).output().lines()
                    .filter(l -> l.contains("re-signed")).findFirst().orElse(""));
            Podman.remove(crl);

            String gateway = PREFIX + "chartgate";
            Podman.remove(gateway);
            Podman.run(runArgs("chartgate", List.of("-d", "--name", gateway)))
                    .orThrow(List.of("run", "chartgate"));
            Podman.awaitHealthy(gateway, 90);
            String log = Podman.run("logs", gateway).output();
            ImageRun.requireNativeLibraries("compose's chartgate", log);
            System.out.println("compose: chartgate is healthy with compose's volumes, read-only root and tmpfs");
            Podman.remove(gateway);
        } finally {
            Podman.remove(PREFIX + "crl-renew");
            Podman.remove(PREFIX + "chartgate");
            for (String volume : volumes.values()) {
                Podman.run("volume", "rm", "-f", volume);
            }
        }
    }

    private String volumeOf(String service, String target) {
        for (JsonNode v : services.path(service).path("volumes")) {
            String[] parts = v.asText().split(":");
            if (parts.length >= 2 && parts[1].equals(target) && volumes.containsKey(parts[0])) {
                return volumes.get(parts[0]);
            }
        }
        throw new IllegalStateException("compose's " + service + " mounts no named volume at " + target);
    }

    private static void awaitLog(String container, String text, int seconds) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (System.nanoTime() < deadline) {
            Podman.Result logs = Podman.run("logs", container);
            if (logs.output().contains(text)) {
                return;
            }
            if (!"running".equals(Podman.inspect(container, "{{.State.Status}}"))) {
                throw new IllegalStateException(container + " stopped:\n" + logs.output());
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException(container + " did not print \"" + text + "\" within " + seconds + " s:\n"
                + Podman.run("logs", container).output());
    }

    /** {@code podman run} arguments for a compose service: what Docker Compose would ask the engine for. */
    List<String> runArgs(String name, List<String> extra) {
        JsonNode service = services.get(name);
        if (service == null) {
            throw new IllegalStateException("docker/compose.yaml has no service " + name);
        }
        List<String> args = new ArrayList<>(List.of("run"));
        args.addAll(extra);
        // the services talk to nothing here; the health check runs inside the container, by Podman.awaitHealthy
        args.addAll(List.of("--network", "none", "--health-interval", "disable"));
        if (service.has("user")) {
            args.addAll(List.of("--user", service.get("user").asText()));
        }
        if (service.path("read_only").asBoolean(false)) {
            // Docker's read_only adds no writable tmpfs of its own (podman's --read-only does, unless told not to)
            args.addAll(List.of("--read-only", "--read-only-tmpfs=false"));
        }
        for (JsonNode t : service.path("tmpfs")) {
            args.addAll(List.of("--tmpfs", dockerTmpfs(t.asText())));
        }
        service.path("cap_drop").forEach(c -> args.addAll(List.of("--cap-drop", c.asText())));
        service.path("cap_add").forEach(c -> args.addAll(List.of("--cap-add", c.asText())));
        service.path("environment").fields().forEachRemaining(e -> args.addAll(List.of("-e", e.getKey() + "=" + e.getValue().asText())));
        for (JsonNode v : service.path("volumes")) {
            String[] parts = v.asText().split(":", 3);
            String source = parts[0];
            if (source.startsWith(".") || source.startsWith("/")) {
                source = composeDir.resolve(source).normalize().toString();
            } else if (volumes.containsKey(source)) {
                source = volumes.get(source);
            } else {
                throw new IllegalStateException(name + ": volume " + source + " is not declared under volumes");
            }
            args.addAll(List.of("-v", source + ":" + parts[1] + (parts.length > 2 ? ":" + parts[2] : "")));
        }
        if (service.has("entrypoint")) {
            args.addAll(List.of("--entrypoint", service.get("entrypoint").toString()));
        }
        if (!service.has("build")) {
            throw new IllegalStateException(name + " is not built from docker/Dockerfile");
        }
        args.add(image);
        JsonNode command = service.path("command");
        if (command.isArray()) {
            command.forEach(c -> args.add(c.asText()));
        } else if (!command.isMissingNode()) {
            throw new IllegalStateException(name + ": a command as one string is split by compose's shell rules; write it as a list");
        }
        return args;
    }

    /**
     * A compose {@code tmpfs} entry ({@code PATH[:OPTIONS]}) with Docker's defaults: Docker mounts a tmpfs
     * {@code rw,noexec,nosuid,nodev} unless the options say otherwise ({@code exec}, {@code suid}, {@code dev});
     * podman's own default would be exec.
     */
    static String dockerTmpfs(String entry) {
        int colon = entry.indexOf(':');
        String path = colon < 0 ? entry : entry.substring(0, colon);
        Set<String> options = new LinkedHashSet<>(List.of("rw", "noexec", "nosuid", "nodev"));
        if (colon >= 0) {
            for (String option : entry.substring(colon + 1).split(",")) {
                switch (option) {
                    case "exec" -> options.remove("noexec");
                    case "suid" -> options.remove("nosuid");
                    case "dev" -> options.remove("nodev");
                    case "ro" -> {
                        options.remove("rw");
                        options.add("ro");
                    }
                    default -> options.add(option);
                }
            }
        }
        return path + ":" + String.join(",", options);
    }
}
