package io.chartgate.architecture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The decision rooms stay pure: {@code config}, {@code identity}, {@code policy}, {@code decision}, {@code helm} and the loading
 * parts of {@code tls} take plain values and never see a Vert.x request, so they are tested without a server.
 */
class RoomsTest {

    private static final Path SOURCES = Path.of("src/main/java/io/chartgate");

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"config", "identity", "policy", "decision", "helm", "tls"})
    void decisionRoomsDoNotImportVertxHttp(String room) throws IOException {
        Path dir = SOURCES.resolve(room);
        assertFalse(!Files.isDirectory(dir), dir + " is missing");
        List<String> offenders;
        try (Stream<Path> files = Files.walk(dir)) {
            offenders = files.filter(p -> p.toString().endsWith(".java"))
                    // SslOptionsMapper is the one place in tls that builds Vert.x options, by design
                    .filter(p -> !p.getFileName().toString().equals("SslOptionsMapper.java"))
                    .filter(RoomsTest::importsVertxHttp)
                    .map(Path::toString)
                    .toList();
        }
        assertEquals(List.of(), offenders);
    }

    @org.junit.jupiter.api.Test
    void upstreamAdaptersDependOnTheConfigurationIndexRewritingAndTheFailureLabelOnly() throws IOException {
        List<String> offenders;
        try (Stream<Path> files = Files.walk(SOURCES.resolve("upstream"))) {
            offenders = files.filter(p -> p.toString().endsWith(".java"))
                    .filter(p -> {
                        try {
                            // of metrics, only the label an adapter gives its failure (as tls gives HandshakeResult)
                            return Files.readAllLines(p).stream().anyMatch(l -> l.matches(
                                    "import io\\.chartgate\\.(proxy|policy|tls|identity|server|cli|admin)\\..*")
                                    || l.matches("import io\\.chartgate\\.metrics\\.(?!UpstreamFailure;).*"));
                        } catch (IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    })
                    .map(Path::toString)
                    .toList();
        }
        assertEquals(List.of(), offenders);
    }

    /**
     * Which rooms each room may import: the layering of the house. A room imports its own classes freely; an
     * import outside this table (a new cycle, a decision room reaching for the server) fails the build.
     */
    private static final java.util.Map<String, java.util.Set<String>> ALLOWED = java.util.Map.ofEntries(
            java.util.Map.entry("config", java.util.Set.of()),
            java.util.Map.entry("identity", java.util.Set.of()),
            java.util.Map.entry("metrics", java.util.Set.of()),
            java.util.Map.entry("helm", java.util.Set.of()),
            java.util.Map.entry("policy", java.util.Set.of("config", "identity")),
            java.util.Map.entry("tls", java.util.Set.of("config", "metrics")),
            java.util.Map.entry("decision", java.util.Set.of("config", "identity", "policy", "tls", "upstream")),
            java.util.Map.entry("upstream", java.util.Set.of("config", "metrics")),
            java.util.Map.entry("admin", java.util.Set.of("metrics")),
            java.util.Map.entry("proxy", java.util.Set.of("config", "decision", "helm", "identity", "metrics", "policy", "tls", "upstream")),
            java.util.Map.entry("server", java.util.Set.of("admin", "config", "decision", "helm", "identity", "metrics", "policy", "proxy",
                    "tls", "upstream")),
            java.util.Map.entry("cli", java.util.Set.of("admin", "config", "decision", "helm", "identity", "metrics", "policy", "proxy",
                    "server", "tls", "upstream")));

    @org.junit.jupiter.api.Test
    void everyRoomImportsOnlyTheRoomsBelowIt() throws IOException {
        List<String> offenders = new java.util.ArrayList<>();
        try (Stream<Path> rooms = Files.list(SOURCES)) {
            for (Path room : rooms.filter(Files::isDirectory).toList()) {
                String name = room.getFileName().toString();
                java.util.Set<String> allowed = ALLOWED.get(name);
                assertFalse(allowed == null, "room " + name + " is not in RoomsTest's table: say what it may import");
                try (Stream<Path> files = Files.walk(room)) {
                    for (Path file : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                        for (String line : Files.readAllLines(file)) {
                            java.util.regex.Matcher m = java.util.regex.Pattern
                                    .compile("^import (?:static )?io\\.chartgate\\.([a-z]+)\\..*").matcher(line);
                            if (m.matches() && !m.group(1).equals(name) && !allowed.contains(m.group(1))) {
                                offenders.add(SOURCES.relativize(file) + ": " + line);
                            }
                        }
                    }
                }
            }
        }
        assertEquals(List.of(), offenders);
    }

    @org.junit.jupiter.api.Test
    void theHttpAdapterDoesNotDependOnTheS3One() throws IOException {
        try (Stream<Path> files = Files.walk(SOURCES.resolve("upstream/http"))) {
            for (Path file : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                assertFalse(Files.readString(file).contains("io.chartgate.upstream.s3"), file + " reaches into upstream.s3");
            }
        }
    }

    private static boolean importsVertxHttp(Path file) {
        try {
            return Files.readAllLines(file).stream().anyMatch(l -> l.startsWith("import io.vertx.core.http")
                    || l.startsWith("import io.vertx.ext.web"));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
