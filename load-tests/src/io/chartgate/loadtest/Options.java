package io.chartgate.loadtest;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The command line of {@code load-tests/run}. */
final class Options {

    static final String USAGE = """
            usage: load-tests/run [--quick] [--seconds N] [--warmup N] [--scenarios a,a-2core,i,b,b-filter,c,d,d-rsa,e,o-pull,o-push]
                                  [--targets direct,nginx,chartgate] [--jvm-opts "OPTIONS"] [--engine E] [--no-pin]
                   load-tests/run --memory [--seconds N] [--jvm-opts "OPTIONS"] [--no-pin]
                   load-tests/run --image IMAGE [--seconds N] [--no-pin]""";

    Path jar = Path.of("target/chartgate.jar");
    Path out = Path.of("target/load-tests");
    Duration warmup = Duration.ofSeconds(10);
    Duration measure = Duration.ofSeconds(10);
    List<String> scenarios = new ArrayList<>(Bench.TABLE_ORDER);
    List<String> targets = new ArrayList<>(Bench.TARGETS);
    List<String> jvmOptions = List.of("-Xms256m", "-Xmx256m");
    /** chartgate's {@code server.tls.engine} ({@code --engine boringssl|openssl|jdk}), or null for its default. */
    String engine;
    boolean pin = true;
    boolean quick;
    boolean memory;
    /** The container image to run under the chart's limits ({@code --image}), or null. */
    String image;

    static Options parse(String[] args) {
        Options o = new Options();
        boolean secondsGiven = false;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            switch (arg) {
                case "--quick" -> o.quick = true;
                case "--memory" -> o.memory = true;
                case "--image" -> o.image = value(args, ++i, arg);
                case "--no-pin" -> o.pin = false;
                case "--seconds" -> {
                    o.measure = Duration.ofSeconds(positive(arg, value(args, ++i, arg)));
                    secondsGiven = true;
                }
                case "--warmup" -> o.warmup = Duration.ofSeconds(Integer.parseInt(value(args, ++i, arg)));
                case "--scenarios" -> o.scenarios = list(value(args, ++i, arg), Bench.TABLE_ORDER, arg);
                case "--targets" -> o.targets = list(value(args, ++i, arg), Bench.TARGETS, arg);
                case "--jvm-opts" -> o.jvmOptions = List.of(value(args, ++i, arg).trim().split("\\s+"));
                case "--engine" -> o.engine = list(value(args, ++i, arg), List.of("boringssl", "openssl", "jdk"), arg).get(0);
                case "--jar" -> o.jar = Path.of(value(args, ++i, arg));
                case "--out" -> o.out = Path.of(value(args, ++i, arg));
                default -> throw new IllegalArgumentException("unknown argument " + arg);
            }
        }
        o.out = o.out.toAbsolutePath().normalize();
        o.jar = o.jar.toAbsolutePath().normalize();
        if (o.quick) {
            o.warmup = Duration.ofSeconds(1);
            o.measure = secondsGiven ? o.measure : Duration.ofSeconds(2);
        }
        if (o.image != null && !secondsGiven) {
            o.measure = Duration.ofSeconds(20);
        }
        if (o.memory && !secondsGiven) {
            o.measure = Duration.ofSeconds(o.quick ? 10 : 60);
        }
        return o;
    }

    /** Fails with the install step when a tool the run needs is missing. */
    static void requireTools(Options options) {
        List<String> missing = new ArrayList<>();
        for (String tool : List.of("nginx", "openssl", "curl", "taskset")) {
            if ("taskset".equals(tool) && !options.pin) {
                continue;
            }
            boolean found = "nginx".equals(tool) && Files.isExecutable(Path.of("/usr/sbin/nginx"))
                    || Arrays.stream(System.getenv().getOrDefault("PATH", "").split(":"))
                    .anyMatch(dir -> Files.isExecutable(Path.of(dir, tool)));
            if (!found) {
                missing.add(tool);
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalStateException("missing " + String.join(", ", missing)
                    + "; install with: apt-get install nginx-light openssl curl util-linux (scripts/test.sh does)");
        }
        if (options.image == null && !options.memory && options.scenarios.stream().anyMatch(Bench::oci)
                && !Files.isExecutable(Registry.BINARY)) {
            throw new IllegalStateException("the OCI rows need docker-registry; install with: apt-get install docker-registry "
                    + "(scripts/test.sh does), or leave them out with --scenarios");
        }
        if (!Files.isRegularFile(options.jar)) {
            throw new IllegalStateException(options.jar + " is missing; build it with: mvn -DskipTests package");
        }
    }

    private static String value(String[] args, int i, String name) {
        if (i >= args.length) {
            throw new IllegalArgumentException(name + " needs a value");
        }
        return args[i];
    }

    private static int positive(String name, String value) {
        int n = Integer.parseInt(value);
        if (n <= 0) {
            throw new IllegalArgumentException(name + " must be positive");
        }
        return n;
    }

    private static List<String> list(String value, List<String> allowed, String name) {
        List<String> items = List.of(value.split(","));
        for (String item : items) {
            if (!allowed.contains(item)) {
                throw new IllegalArgumentException(name + ": unknown " + item + " (expected " + String.join(",", allowed) + ")");
            }
        }
        return new ArrayList<>(items);
    }
}
