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
 * The decision rooms stay pure: {@code config}, {@code identity}, {@code policy}, {@code helm} and the loading
 * parts of {@code tls} take plain values and never see a Vert.x request, so they are tested without a server.
 */
class RoomsTest {

    private static final Path SOURCES = Path.of("src/main/java/io/chartgate");

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"config", "identity", "policy", "helm", "tls"})
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
    void upstreamAdaptersDependOnTheConfigurationAndIndexRewritingOnly() throws IOException {
        List<String> offenders;
        try (Stream<Path> files = Files.walk(SOURCES.resolve("upstream"))) {
            offenders = files.filter(p -> p.toString().endsWith(".java"))
                    .filter(p -> {
                        try {
                            return Files.readAllLines(p).stream().anyMatch(l -> l.matches(
                                    "import io\\.chartgate\\.(proxy|policy|tls|identity|server|cli|admin|metrics)\\..*"));
                        } catch (IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    })
                    .map(Path::toString)
                    .toList();
        }
        assertEquals(List.of(), offenders);
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
