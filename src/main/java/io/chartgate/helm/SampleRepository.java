package io.chartgate.helm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/** Writes a small but real Helm chart repository (two versions of a {@code hello} chart and its index.yaml). */
public final class SampleRepository {

    private static final String CHART = "hello";
    private static final String APP_VERSION = "1.0.0";
    private static final String DESCRIPTION = "A greeting served through chartgate";

    // Oldest first; the index lists them newest first, as helm repo index does.
    private static final List<String> VERSIONS = List.of("0.1.0", "0.2.0");

    // One fixed instant for tar mtimes and index timestamps, so the same call always yields the same bytes
    // (stable digests, ETags and test fixtures).
    private static final Instant STAMP = Instant.parse("2025-01-01T00:00:00Z");

    private static final int BLOCK = 512;

    private SampleRepository() {
    }

    /**
     * Writes {@code hello-0.1.0.tgz}, {@code hello-0.2.0.tgz} and {@code index.yaml} into {@code dir}, creating it
     * if needed and replacing files of those names.
     *
     * @return the written files, archives first and index.yaml last
     * @throws UncheckedIOException if the directory or a file cannot be written
     */
    public static List<Path> write(Path dir) {
        try {
            Files.createDirectories(dir);
            List<Path> written = new ArrayList<>();
            List<Map<String, Object>> entries = new ArrayList<>();
            for (String version : VERSIONS) {
                byte[] archive = chartArchive(version);
                String file = CHART + "-" + version + ".tgz";
                Path path = dir.resolve(file);
                Files.write(path, archive);
                written.add(path);
                entries.add(0, indexEntry(version, file, sha256(archive)));
            }
            Path index = dir.resolve("index.yaml");
            Files.write(index, indexYaml(entries));
            written.add(index);
            return List.copyOf(written);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The lowercase hex SHA-256 of a file, as Helm records it in an index entry's {@code digest}.
     *
     * @throws UncheckedIOException if the file cannot be read
     */
    public static String digest(Path file) {
        MessageDigest sha = sha256();
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), sha)) {
            in.transferTo(OutputStream.nullOutputStream());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static byte[] chartArchive(String version) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        // GZIPOutputStream writes a zero mtime and no file name, so the gzip layer adds nothing variable.
        try (GZIPOutputStream gzip = new GZIPOutputStream(bytes)) {
            for (Map.Entry<String, String> file : chartFiles(version).entrySet()) {
                tarEntry(gzip, CHART + "/" + file.getKey(), file.getValue().getBytes(StandardCharsets.UTF_8));
            }
            // Two zero blocks mark the end of a tar archive.
            gzip.write(new byte[2 * BLOCK]);
        }
        return bytes.toByteArray();
    }

    private static Map<String, String> chartFiles(String version) {
        Map<String, String> files = new LinkedHashMap<>();
        files.put("Chart.yaml", """
                apiVersion: v2
                name: %s
                version: %s
                appVersion: "%s"
                description: %s
                type: application
                """.formatted(CHART, version, APP_VERSION, DESCRIPTION));
        files.put("values.yaml", """
                message: Hello from behind chartgate
                """);
        files.put("templates/configmap.yaml", """
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: {{ .Release.Name }}-hello
                  labels:
                    app.kubernetes.io/name: hello
                    app.kubernetes.io/instance: {{ .Release.Name }}
                    helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
                data:
                  message: {{ .Values.message | quote }}
                """);
        files.put("templates/NOTES.txt", """
                {{ .Chart.Name }} {{ .Chart.Version }} is installed as {{ .Release.Name }}.
                Its greeting: kubectl get configmap {{ .Release.Name }}-hello -o jsonpath='{.data.message}'
                """);
        return files;
    }

    /** Writes one regular-file entry: a POSIX ustar header followed by the data padded to a whole block. */
    private static void tarEntry(OutputStream out, String name, byte[] data) throws IOException {
        byte[] nameBytes = name.getBytes(StandardCharsets.US_ASCII);
        if (nameBytes.length >= 100) {
            // Longer names need the prefix field or a pax header, which these fixed names never call for.
            throw new IllegalArgumentException("tar entry name too long: " + name);
        }
        byte[] header = new byte[BLOCK];
        System.arraycopy(nameBytes, 0, header, 0, nameBytes.length);
        octal(header, 100, 8, 0644);
        octal(header, 108, 8, 0);
        octal(header, 116, 8, 0);
        octal(header, 124, 12, data.length);
        octal(header, 136, 12, STAMP.getEpochSecond());
        header[156] = '0';
        ascii(header, 257, "ustar\0");
        ascii(header, 263, "00");
        ascii(header, 265, "root");
        ascii(header, 297, "root");
        // The checksum is summed with its own field read as eight spaces.
        ascii(header, 148, "        ");
        long sum = 0;
        for (byte b : header) {
            sum += b & 0xff;
        }
        octal(header, 148, 7, sum);
        header[155] = ' ';
        out.write(header);
        out.write(data);
        int pad = (BLOCK - data.length % BLOCK) % BLOCK;
        out.write(new byte[pad]);
    }

    /** Zero-padded octal digits filling {@code length - 1} bytes, then a NUL terminator. */
    private static void octal(byte[] header, int offset, int length, long value) {
        String digits = Long.toOctalString(value);
        int width = length - 1;
        if (digits.length() > width) {
            throw new IllegalArgumentException("value " + value + " does not fit a " + length + "-byte tar field");
        }
        ascii(header, offset, "0".repeat(width - digits.length()) + digits);
        header[offset + width] = 0;
    }

    private static void ascii(byte[] header, int offset, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(bytes, 0, header, offset, bytes.length);
    }

    private static Map<String, Object> indexEntry(String version, String file, String digest) {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("apiVersion", "v2");
        entry.put("name", CHART);
        entry.put("version", version);
        entry.put("appVersion", APP_VERSION);
        entry.put("description", DESCRIPTION);
        entry.put("type", "application");
        // Relative, so helm resolves them against wherever the repository is served (here: behind the gateway).
        entry.put("urls", List.of(file));
        entry.put("digest", digest);
        entry.put("created", STAMP.toString());
        return entry;
    }

    private static byte[] indexYaml(List<Map<String, Object>> entries) throws JsonProcessingException {
        Map<String, Object> index = new LinkedHashMap<>();
        index.put("apiVersion", "v1");
        index.put("entries", Map.of(CHART, entries));
        index.put("generated", STAMP.toString());
        YAMLMapper yaml = YAMLMapper.builder()
                .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                // Keeps a version such as 1.0 a string for Helm's strict YAML decoding.
                .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
                .build();
        return yaml.writeValueAsBytes(index);
    }

    private static String sha256(byte[] data) {
        return HexFormat.of().formatHex(sha256().digest(data));
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            // Every Java platform is required to provide SHA-256.
            throw new IllegalStateException(e);
        }
    }
}
