package io.chartgate.fuzz;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.chartgate.config.ConfigException;
import io.chartgate.config.ConfigLoader;
import io.chartgate.config.GatewayConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Configuration text as an operator writes it (any UTF-8, {@code ${VAR}} references to a fixed environment):
 * {@link ConfigLoader#parse} gives a configuration or a {@link ConfigException} with a message, nothing else.
 * The source path is a file in an empty temporary directory; the loader resolves relative paths against it and
 * reads no file (loading the files a configuration names is the TLS layer's job).
 */
class ConfigLoaderFuzzTest {

    private static final Path SOURCE;
    private static final ConfigLoader LOADER = new ConfigLoader(Map.of(
            "HOME", "/home/chartgate",
            "PUBLIC_URL", "https://charts.example.com",
            "UPSTREAM_URL", "http://chartmuseum:8080",
            "CM_PASSWORD", "s3cret",
            "AWS_ACCESS_KEY_ID", "AKIAFUZZ",
            "AWS_SECRET_ACCESS_KEY", "fuzz/secret",
            "PORT", "8443",
            "EMPTY", ""));

    static {
        try {
            Path dir = Files.createTempDirectory("chartgate-config-fuzz");
            dir.toFile().deleteOnExit();
            SOURCE = dir.resolve("chartgate.yaml");
        } catch (IOException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @FuzzTest(maxDuration = "10m")
    void parse(byte[] input) {
        String yaml = new String(input, StandardCharsets.UTF_8);
        try {
            GatewayConfig config = LOADER.parse(yaml, SOURCE);
            assertNotNull(config.server());
        } catch (ConfigException refused) {
            assertNotNull(refused.getMessage());
            assertFalse(refused.getMessage().isBlank(), "a configuration error says what is wrong");
        }
    }
}
