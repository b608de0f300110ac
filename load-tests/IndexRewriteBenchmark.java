import io.chartgate.helm.IndexRewriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * How long rewriting a 10,000-chart index takes, cold (first call in a fresh JVM) and warm (JIT-compiled),
 * and how much memory one rewrite allocates. Run from the project root after `mvn package`:
 *
 *   java -cp target/chartgate.jar load-tests/IndexRewriteBenchmark.java
 *
 * A benchmark, not a test: it prints figures and asserts nothing.
 */
public class IndexRewriteBenchmark {

    public static void main(String[] args) throws Exception {
        byte[] index = index(1000, 10);
        IndexRewriter rewriter = new IndexRewriter(List.of("http://chartmuseum:8080/"), "https://charts.example.com", "/");
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long id = Thread.currentThread().getId();

        long allocated = threads.getThreadAllocatedBytes(id);
        long start = System.nanoTime();
        IndexRewriter.Result first = rewriter.rewrite(index);
        long coldNanos = System.nanoTime() - start;
        long coldAllocated = threads.getThreadAllocatedBytes(id) - allocated;

        long[] warm = new long[30];
        for (int i = 0; i < warm.length; i++) {
            start = System.nanoTime();
            rewriter.rewrite(index);
            warm[i] = System.nanoTime() - start;
        }
        Arrays.sort(warm);
        System.out.printf("index: %.1f MB, %d charts, %d URLs rewritten%n", index.length / 1e6, 10_000, first.rewritten());
        System.out.printf("cold rewrite: %d ms, %.1f MB allocated%n", coldNanos / 1_000_000, coldAllocated / 1e6);
        System.out.printf("warm rewrite: median %d ms, min %d ms (30 runs)%n", warm[warm.length / 2] / 1_000_000, warm[0] / 1_000_000);
        System.out.printf("JVM: %s, max heap %d MB%n", System.getProperty("java.version"), Runtime.getRuntime().maxMemory() >> 20);
    }

    /** An index shaped like ChartMuseum's: about 750 bytes per chart version. */
    static byte[] index(int charts, int versions) {
        StringBuilder out = new StringBuilder("apiVersion: v1\nentries:\n");
        for (int c = 0; c < charts; c++) {
            out.append("  chart-").append(c).append(":\n");
            for (int v = 0; v < versions; v++) {
                String version = "1." + v + ".0";
                out.append("  - apiVersion: v2\n")
                        .append("    appVersion: ").append(version).append('\n')
                        .append("    created: \"2024-05-0").append(v % 9 + 1).append("T10:00:00.000000000Z\"\n")
                        .append("    description: A Helm chart for Kubernetes, number ").append(c).append(", with a longer description\n")
                        .append("    digest: ").append("ab".repeat(32)).append('\n')
                        .append("    home: https://example.com/charts/chart-").append(c).append('\n')
                        .append("    maintainers:\n    - email: team@example.com\n      name: Platform Team\n")
                        .append("    name: chart-").append(c).append('\n')
                        .append("    sources:\n    - https://git.example.com/charts/chart-").append(c).append('\n')
                        .append("    type: application\n")
                        .append("    urls:\n    - http://chartmuseum:8080/charts/chart-").append(c).append('-').append(version).append(".tgz\n")
                        .append("    version: ").append(version).append('\n');
            }
        }
        out.append("generated: \"2024-05-01T10:00:00Z\"\nserverInfo: {}\n");
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }
}
