package io.chartgate.testing;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.function.IntFunction;

/**
 * A generated index.yaml shaped like a large public repository's (Bitnami's, say): every version carries
 * annotations, a dependency, an icon, maintainers, keywords, sources, a digest and one chart URL, about 750 bytes
 * each, so 10,000 versions make the 7.5 MB index the gateway's limits are sized for. The same call with another URL base
 * gives, byte for byte, what the gateway's rewrite of it must be: only the chart URLs differ.
 */
public final class LargeIndex {

    private LargeIndex() {
    }

    /**
     * The index's bytes.
     *
     * @param urlBase what each chart URL starts with ({@code BASE/NAME-VERSION.tgz}); empty for relative URLs
     * @param charts how many charts, each with {@code versionsPerChart} versions
     */
    public static byte[] yaml(String urlBase, int charts, int versionsPerChart) {
        return yaml(c -> urlBase, charts, versionsPerChart);
    }

    /** The index's bytes, with the URL base of each chart chosen by its number (an index can mix URL forms). */
    public static byte[] yaml(IntFunction<String> urlBaseOfChart, int charts, int versionsPerChart) {
        StringBuilder out = new StringBuilder(charts * versionsPerChart * 800);
        out.append("apiVersion: v1\nentries:\n");
        for (int c = 0; c < charts; c++) {
            String name = chartName(c);
            out.append("  ").append(name).append(":\n");
            for (int v = versionsPerChart - 1; v >= 0; v--) {
                String version = version(v);
                out.append("  - annotations:\n")
                        .append("      category: Infrastructure\n")
                        .append("      licenses: Apache-2.0\n")
                        .append("    apiVersion: v2\n")
                        .append("    appVersion: \"").append(v / 10).append('.').append(v % 10).append("\"\n")
                        .append("    created: \"2024-0").append(1 + v % 9).append("-1").append(v % 10)
                        .append("T12:34:56.").append(String.format("%09d", v * 7919L % 1_000_000_000L)).append("Z\"\n")
                        .append("    dependencies:\n")
                        .append("    - name: common\n")
                        .append("      repository: oci://registry-1.docker.io/examplecharts\n")
                        .append("      version: 2.x.x\n")
                        .append("    description: ").append(name)
.append(" is a generated chart standing in for a real one.\n")
                        .append("    digest: ").append(digest(name + "-" + version)).append('\n')
                        .append("    icon: https://example.com/icons/").append(name).append(".svg\n")
                        .append("    keywords:\n")
                        .append("    - ").append(name).append('\n')
                        .append("    maintainers:\n")
                        .append("    - name: Example Charts\n")
                        .append("      url: https://github.com/example/charts\n")
                        .append("    name: ").append(name).append('\n')
                        .append("    sources:\n")
                        .append("    - https://github.com/example/charts/tree/main/").append(name).append('\n')
                        .append("    urls:\n")
                        .append("    - ").append(url(urlBaseOfChart.apply(c), c, v)).append('\n')
                        .append("    version: ").append(version).append('\n');
            }
        }
        out.append("generated: \"2024-09-30T12:00:00.000000000Z\"\n");
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The name of chart {@code c}. */
    public static String chartName(int c) {
        return "app-" + c;
    }

    /** Version number {@code v} of a chart. */
    public static String version(int v) {
        return (1 + v / 100) + "." + (v / 10 % 10) + "." + v % 10;
    }

    /** The URL version {@code v} of chart {@code c} has in an index made with {@code urlBase}. */
    public static String url(String urlBase, int c, int v) {
        String file = chartName(c) + "-" + version(v) + ".tgz";
        return urlBase.isEmpty() ? file : urlBase + "/" + file;
    }

    private static String digest(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JVM", e);
        }
    }
}
