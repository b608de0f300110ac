package io.chartgate.helm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.chartgate.testing.HelmCli;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The sample repository is checked three ways: by an independent tar reader here, by the system tar, and by the
 * real helm 3 and helm 4 CLIs, which must render the chart and agree with the index.
 */
class SampleRepositoryTest {

    private static final YAMLMapper YAML = new YAMLMapper();

    @TempDir
    Path dir;

    @Test
    void writesBothArchivesAndTheIndexAndReturnsThem() {
        List<Path> written = SampleRepository.write(dir.resolve("new/repo"));

        Path repo = dir.resolve("new/repo");
        assertEquals(List.of(repo.resolve("hello-0.1.0.tgz"), repo.resolve("hello-0.2.0.tgz"),
                repo.resolve("index.yaml")), written);
        written.forEach(p -> assertTrue(Files.isRegularFile(p), p + " was not written"));
    }

    @Test
    void archivesHoldTheChartUnderAHelloDirectoryWithTheirOwnVersion() throws IOException {
        SampleRepository.write(dir);

        for (String version : List.of("0.1.0", "0.2.0")) {
            Map<String, String> files = readTgz(dir.resolve("hello-" + version + ".tgz"));
            assertEquals(List.of("hello/Chart.yaml", "hello/values.yaml", "hello/templates/configmap.yaml",
                    "hello/templates/NOTES.txt"), List.copyOf(files.keySet()));
            JsonNode chart = YAML.readTree(files.get("hello/Chart.yaml"));
            assertEquals("v2", chart.path("apiVersion").asText());
            assertEquals("hello", chart.path("name").asText());
            assertEquals(version, chart.path("version").asText());
            assertEquals("application", chart.path("type").asText());
            assertTrue(chart.hasNonNull("appVersion"));
            assertTrue(chart.hasNonNull("description"));
            assertEquals("Hello from behind chartgate",
                    YAML.readTree(files.get("hello/values.yaml")).path("message").asText());
        }
    }

    @Test
    void systemTarListsTheArchiveEntries() {
        SampleRepository.write(dir);

        String listing = run(List.of("tar", "-tzf", dir.resolve("hello-0.2.0.tgz").toString()), Map.of(),
                "the tar CLI is required by this test (apt-get install tar)");

        assertEquals(List.of("hello/Chart.yaml", "hello/values.yaml", "hello/templates/configmap.yaml",
                "hello/templates/NOTES.txt"), listing.lines().toList());
    }

    @Test
    void writingTwiceYieldsIdenticalBytes() throws IOException {
        Path first = dir.resolve("first");
        Path second = dir.resolve("second");
        SampleRepository.write(first);
        SampleRepository.write(second);

        for (String name : List.of("hello-0.1.0.tgz", "hello-0.2.0.tgz", "index.yaml")) {
            assertArrayEquals(Files.readAllBytes(first.resolve(name)), Files.readAllBytes(second.resolve(name)),
                    name + " differs between two writes");
        }
    }

    @Test
    void indexListsNewestFirstWithRelativeUrlsAndDigestsOfTheFiles() throws IOException {
        SampleRepository.write(dir);

        JsonNode index = YAML.readTree(dir.resolve("index.yaml").toFile());
        assertEquals("v1", index.path("apiVersion").asText());
        OffsetDateTime.parse(index.path("generated").asText());
        JsonNode entries = index.path("entries").path("hello");
        assertEquals(2, entries.size());
        List<String> versions = new ArrayList<>();
        for (JsonNode entry : entries) {
            String version = entry.path("version").asText();
            versions.add(version);
            String file = "hello-" + version + ".tgz";
            assertEquals("v2", entry.path("apiVersion").asText());
            assertEquals("hello", entry.path("name").asText());
            assertEquals("application", entry.path("type").asText());
            assertTrue(entry.hasNonNull("appVersion"));
            assertTrue(entry.hasNonNull("description"));
            assertEquals(List.of(file), texts(entry.path("urls")));
            assertEquals(sha256(Files.readAllBytes(dir.resolve(file))), entry.path("digest").asText());
            OffsetDateTime.parse(entry.path("created").asText());
        }
        assertEquals(List.of("0.2.0", "0.1.0"), versions);
    }

    @Test
    void digestIsTheLowercaseHexSha256OfTheFile() throws IOException {
        Path file = dir.resolve("abc");
        Files.writeString(file, "abc");

        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                SampleRepository.digest(file));
    }

    @ParameterizedTest(name = "helm {0} renders the newest chart and shows its metadata")
    @ValueSource(strings = {"v3", "v4"})
    void realHelmRendersTheChart(String major) {
        SampleRepository.write(dir.resolve("repo"));
        String tgz = dir.resolve("repo/hello-0.2.0.tgz").toString();

        String rendered = helm(major, "template", "demo", tgz);
        assertTrue(rendered.contains("name: demo-hello"), rendered);
        assertTrue(rendered.contains("Hello from behind chartgate"), rendered);

        String chart = helm(major, "show", "chart", tgz);
        assertTrue(chart.lines().anyMatch("version: 0.2.0"::equals), chart);

        helm(major, "lint", "--strict", tgz);
    }

    @ParameterizedTest(name = "helm {0} loads the index and indexes the archives the same way")
    @ValueSource(strings = {"v3", "v4"})
    void realHelmAgreesWithTheIndex(String major) throws IOException {
        Path repo = dir.resolve("repo");
        SampleRepository.write(repo);
        Map<String, List<String>> ours = comparable(YAML.readTree(repo.resolve("index.yaml").toFile()), true);

        // Merging into a directory without archives makes helm parse our index and write back exactly its entries.
        Path loaded = Files.createDirectories(dir.resolve("loaded"));
        helm(major, "repo", "index", loaded.toString(), "--merge", repo.resolve("index.yaml").toString());
        assertEquals(ours, comparable(YAML.readTree(loaded.resolve("index.yaml").toFile()), true));

        // Indexing copies of the archives lets helm compute digests and URLs itself; only created times differ.
        Path copies = Files.createDirectories(dir.resolve("copies"));
        for (String name : List.of("hello-0.1.0.tgz", "hello-0.2.0.tgz")) {
            Files.copy(repo.resolve(name), copies.resolve(name));
        }
        helm(major, "repo", "index", copies.toString());
        Map<String, List<String>> helms = comparable(YAML.readTree(copies.resolve("index.yaml").toFile()), false);
        assertEquals(comparable(YAML.readTree(repo.resolve("index.yaml").toFile()), false), helms);
        assertEquals(List.copyOf(ours.keySet()), List.copyOf(helms.keySet()), "entry order");
    }

    /** Per version, the fields of an index entry in a fixed order, so indexes written by anyone compare equal. */
    private static Map<String, List<String>> comparable(JsonNode index, boolean withCreated) {
        assertEquals("v1", index.path("apiVersion").asText());
        Map<String, List<String>> byVersion = new LinkedHashMap<>();
        for (JsonNode entry : index.path("entries").path("hello")) {
            List<String> fields = new ArrayList<>();
            for (String field : List.of("apiVersion", "name", "appVersion", "description", "type", "digest")) {
                fields.add(field + "=" + entry.path(field).asText());
            }
            fields.add("urls=" + texts(entry.path("urls")));
            if (withCreated) {
                fields.add("created=" + OffsetDateTime.parse(entry.path("created").asText()).toInstant());
            }
            byVersion.put(entry.path("version").asText(), fields);
        }
        return byVersion;
    }

    private static List<String> texts(JsonNode array) {
        List<String> texts = new ArrayList<>();
        array.forEach(n -> texts.add(n.asText()));
        return texts;
    }

    /** Runs the real helm ("v3" or "v4") and returns its output; a failure fails the test. */
    private String helm(String major, String... args) {
        HelmCli.Result result = HelmCli.of(major.substring(1), dir.resolve("helm-home-" + major)).run(dir, args);
        if (!result.ok()) {
            fail("helm " + String.join(" ", args) + " failed: " + result);
        }
        return result.output();
    }

    private static String run(List<String> command, Map<String, String> env, String missing) {
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
            builder.environment().putAll(env);
            Process p = builder.start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail(String.join(" ", command) + " did not finish");
            }
            if (p.exitValue() != 0) {
                fail(String.join(" ", command) + " failed (" + p.exitValue() + "):\n" + output);
            }
            return output;
        } catch (IOException e) {
            return fail(missing, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail("interrupted", e);
        }
    }

    /**
     * Reads a gzip-compressed ustar archive independently of the writer, checking each header's magic,
     * version and checksum, and returns the regular files by name in archive order.
     */
    private static Map<String, String> readTgz(Path tgz) throws IOException {
        Map<String, String> files = new LinkedHashMap<>();
        try (InputStream in = new GZIPInputStream(Files.newInputStream(tgz))) {
            int zeroBlocks = 0;
            while (true) {
                byte[] header = in.readNBytes(512);
                assertEquals(512, header.length, "truncated archive " + tgz);
                if (isZero(header)) {
                    zeroBlocks++;
                    if (zeroBlocks == 2) {
                        break;
                    }
                    continue;
                }
                assertEquals(0, zeroBlocks, "an entry follows a zero block in " + tgz);
                assertEquals("ustar\0", new String(header, 257, 6, StandardCharsets.US_ASCII));
                assertEquals("00", new String(header, 263, 2, StandardCharsets.US_ASCII));
                assertEquals('0', header[156]);
                assertEquals(0644, octal(header, 100, 8));
                long recorded = octal(header, 148, 8);
                long sum = 0;
                for (int i = 0; i < 512; i++) {
                    sum += i >= 148 && i < 156 ? ' ' : header[i] & 0xff;
                }
                assertEquals(sum, recorded, "header checksum");
                String name = cString(header, 0, 100);
                int size = (int) octal(header, 124, 12);
                byte[] data = in.readNBytes(size);
                assertEquals(size, data.length, "truncated entry " + name);
                int pad = (512 - size % 512) % 512;
                assertEquals(pad, in.readNBytes(pad).length);
                files.put(name, new String(data, StandardCharsets.UTF_8));
            }
            ByteArrayOutputStream rest = new ByteArrayOutputStream();
            in.transferTo(rest);
            assertTrue(isZero(rest.toByteArray()), "non-zero bytes after the end of " + tgz);
        }
        return files;
    }

    private static boolean isZero(byte[] bytes) {
        for (byte b : bytes) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    private static long octal(byte[] header, int offset, int length) {
        String field = cString(header, offset, length).trim();
        return Long.parseLong(field, 8);
    }

    private static String cString(byte[] header, int offset, int length) {
        int end = offset;
        while (end < offset + length && header[end] != 0) {
            end++;
        }
        return new String(header, offset, end - offset, StandardCharsets.US_ASCII);
    }

    private static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
