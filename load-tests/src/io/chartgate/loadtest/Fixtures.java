package io.chartgate.loadtest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.IntPredicate;

/**
 * What the servers serve and the certificates they trust, made fresh in the work directory for every run: a CA,
 * server and client certificates for each key type (made with the openssl CLI, so neither side's code made its
 * own certificates), a 3 KB and a 1 MiB chart, an index.yaml of 10,000 chart versions and a small one of 4 (a
 * repository of a few charts, what {@code helm repo update} fetches most), both with absolute upstream chart URLs,
 * so a gateway in front has to rewrite them.
 */
final class Fixtures {

    static final String SMALL_CHART = "/charts/small-1.0.0.tgz";
    static final String BIG_CHART = "/charts/big-1.0.0.tgz";
    static final String HUGE_CHART = "/charts/huge-1.0.0.tgz";
    static final String INDEX = "/index.yaml";
    /** The small index, its chart URLs under {@code <upstream>/small/}. */
    static final String SMALL_INDEX = "/small/index.yaml";
    /** The big index through chartgate's filtering route (prefix {@value}, the same upstream). */
    static final String FILTERED_PREFIX = "/filtered";
    static final String FILTERED_INDEX = FILTERED_PREFIX + INDEX;
    static final int INDEX_CHARTS = 1000;
    static final int INDEX_VERSIONS = 10;
    static final int SMALL_INDEX_CHARTS = 4;
    static final String UPLOAD = "/upload/bench-1.0.0.tgz";
    static final int SMALL_BYTES = 3 * 1024;
    static final int BIG_BYTES = 1 << 20;
    static final String CLIENT_CN = "bench-client";

    /** The PEM files of one key type. */
    record Pki(Path caCert, Path serverCert, Path serverKey, Path clientCert, Path clientKey) {
    }

    enum KeyType {
        ECDSA("ECDSA P-256", List.of("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1")),
        RSA("RSA-2048", List.of("-newkey", "rsa:2048"));

        final String label;
        final List<String> newKey;

        KeyType(String label, List<String> newKey) {
            this.label = label;
            this.newKey = newKey;
        }
    }

    final Path root;
    final Path docRoot;
    final byte[] uploadBody;
    final long indexBytes;
    final long smallIndexBytes;

    private Fixtures(Path root, Path docRoot, byte[] uploadBody, long indexBytes, long smallIndexBytes) {
        this.root = root;
        this.docRoot = docRoot;
        this.uploadBody = uploadBody;
        this.indexBytes = indexBytes;
        this.smallIndexBytes = smallIndexBytes;
    }

    /** Writes the repository served by the upstream; the index's chart URLs point at {@code upstreamBase}. */
    static Fixtures create(Path root, String upstreamBase, boolean huge) throws IOException {
        Path docRoot = root.resolve("repo");
        Files.createDirectories(docRoot.resolve("charts"));
        Files.createDirectories(docRoot.resolve("upload"));
        Random random = new Random(42);
        Files.write(docRoot.resolve(SMALL_CHART.substring(1)), randomBytes(random, SMALL_BYTES));
        Files.write(docRoot.resolve(BIG_CHART.substring(1)), randomBytes(random, BIG_BYTES));
        if (huge) {
            byte[] block = randomBytes(random, 1 << 20);
            try (var out = Files.newOutputStream(docRoot.resolve(HUGE_CHART.substring(1)))) {
                for (int i = 0; i < 100; i++) {
                    out.write(block);
                }
            }
        }
        byte[] index = bigIndex(upstreamBase, chart -> true);
        Files.write(docRoot.resolve(INDEX.substring(1)), index);
        byte[] small = smallIndex(upstreamBase);
        Files.createDirectories(docRoot.resolve("small"));
        Files.write(docRoot.resolve(SMALL_INDEX.substring(1)), small);
        return new Fixtures(root, docRoot, randomBytes(random, BIG_BYTES), index.length, small.length);
    }

    /**
     * The big index with its chart URLs under {@code base}: as the upstream serves it (the upstream's base), or
     * as a gateway must answer it (its own base and route prefix), with only the charts {@code keep} accepts.
     */
    static byte[] bigIndex(String base, IntPredicate keep) {
        return index(base, INDEX_CHARTS, INDEX_VERSIONS, keep);
    }

    /** The small index (about 3 KB), its chart URLs under {@code base + "small/"}. */
    static byte[] smallIndex(String base) {
        return index(base + "small/", SMALL_INDEX_CHARTS, 1, chart -> true);
    }

    /**
     * The charts of the big index the load client may read through chartgate's filtering route: the even
     * numbers, half of them. {@link #FILTER_GLOBS} says the same to chartgate's policy.
     */
    static boolean granted(int chart) {
        return chart % 2 == 0;
    }

    /** The policy's read globs for {@link #granted}: the chart number's last digit, before the version's '-'. */
    static final List<String> FILTER_GLOBS = List.of("0", "2", "4", "6", "8").stream()
            .map(digit -> FILTERED_PREFIX + "/charts/chart-*" + digit + "-*.tgz").toList();

    /** A CA, a server certificate for 127.0.0.1 and localhost, and a client certificate, all of one key type. */
    Pki pki(KeyType type) throws IOException, InterruptedException {
        Path dir = root.resolve("pki-" + type.name().toLowerCase());
        Files.createDirectories(dir);
        Pki pki = new Pki(dir.resolve("ca.crt"), dir.resolve("server.crt"), dir.resolve("server.key"),
                dir.resolve("client.crt"), dir.resolve("client.key"));
        if (Files.exists(pki.clientKey())) {
            return pki;
        }
        List<String> ca = new ArrayList<>(List.of("openssl", "req", "-x509", "-nodes", "-days", "7"));
        ca.addAll(type.newKey);
        ca.addAll(List.of("-keyout", "ca.key", "-out", "ca.crt", "-subj", "/CN=chartgate load-test CA",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"));
        run(dir, ca);
        leaf(dir, type, "server", "/CN=localhost",
                "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n", 1);
        leaf(dir, type, "client", "/O=Bench/CN=" + CLIENT_CN, "extendedKeyUsage=clientAuth\n", 2);
        return pki;
    }

    private static void leaf(Path dir, KeyType type, String name, String subject, String extensions, int serial)
            throws IOException, InterruptedException {
        List<String> request = new ArrayList<>(List.of("openssl", "req", "-new", "-nodes"));
        request.addAll(type.newKey);
        request.addAll(List.of("-keyout", name + ".key", "-out", name + ".csr", "-subj", subject));
        run(dir, request);
        Files.writeString(dir.resolve(name + ".ext"), "basicConstraints=CA:FALSE\n" + extensions);
        run(dir, List.of("openssl", "x509", "-req", "-in", name + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                "-set_serial", String.valueOf(serial), "-days", "7", "-extfile", name + ".ext", "-out", name + ".crt"));
    }

    static void run(Path dir, List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (process.waitFor() != 0) {
            throw new IOException(String.join(" ", command) + " failed:\n" + output);
        }
    }

    private static byte[] randomBytes(Random random, int size) {
        byte[] bytes = new byte[size];
        random.nextBytes(bytes);
        return bytes;
    }

    /**
     * An index shaped like ChartMuseum's, about 770 bytes per chart version, URLs absolute under {@code base};
     * charts {@code keep} refuses are left out, as a filtered view leaves them out.
     */
    static byte[] index(String base, int charts, int versions, IntPredicate keep) {
        StringBuilder out = new StringBuilder("apiVersion: v1\nentries:\n");
        for (int c = 0; c < charts; c++) {
            if (!keep.test(c)) {
                continue;
            }
            out.append("  chart-").append(c).append(":\n");
            for (int v = 0; v < versions; v++) {
                String version = "1." + v + ".0";
                out.append("  - annotations:\n      category: Infrastructure\n      licenses: Apache-2.0\n")
                        .append("    apiVersion: v2\n")
                        .append("    appVersion: ").append(version).append('\n')
                        .append("    created: \"2024-05-0").append(v % 9 + 1).append("T10:00:00.000000000Z\"\n")
                        .append("    description: A Helm chart for Kubernetes, number ").append(c)
                        .append(", with a longer description\n")
                        .append("    digest: ").append(String.format("%064x", (long) c * versions + v)).append('\n')
                        .append("    home: https://example.com/charts/chart-").append(c).append('\n')
                        .append("    keywords:\n    - platform\n    - infrastructure\n")
                        .append("    maintainers:\n    - email: team@example.com\n      name: Platform Team\n")
                        .append("    name: chart-").append(c).append('\n')
                        .append("    sources:\n    - https://git.example.com/charts/chart-").append(c).append('\n')
                        .append("    kubeVersion: '>=1.25.0-0'\n")
                        .append("    icon: https://example.com/charts/icons/chart-").append(c).append(".svg\n")
                        .append("    type: application\n")
                        .append("    urls:\n    - ").append(base).append("charts/chart-").append(c).append('-')
                        .append(version).append(".tgz\n")
                        .append("    version: ").append(version).append('\n');
            }
        }
        out.append("generated: \"2024-05-01T10:00:00Z\"\n");
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }
}
