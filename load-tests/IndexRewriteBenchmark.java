import io.chartgate.helm.IndexDocument;
import io.chartgate.helm.IndexRewriter;
import io.chartgate.policy.IdentityMatcher;
import io.chartgate.policy.PathGlob;
import io.chartgate.policy.Policy;
import io.chartgate.policy.Rule;
import io.chartgate.proxy.IndexStep;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Predicate;

/**
 * What the index step spends on a 10,000-chart index, step by step: parsing it ({@code IndexDocument.parse}, once
 * per upstream version), rendering the view every caller shares ({@code render} with the URLs pointed at the
 * gateway, once per public base) and a filtered view ({@code filterIndex: true}: once per set of rules a caller
 * matches; here a caller who may read half the charts, judged as the gateway judges it). Each cold (its first call
 * in this JVM, in that order) and warm (JIT-compiled), with the memory one call allocates. Run from the project
 * root after `mvn package`:
 *
 *   java -cp target/chartgate.jar load-tests/IndexRewriteBenchmark.java
 *
 * A benchmark, not a test: it prints figures and asserts nothing.
 */
public class IndexRewriteBenchmark {

    static final int CHARTS = 1000;
    static final int VERSIONS = 10;
    static final int WARM_UP_ROUNDS = 10;
    static final int MEASURED_ROUNDS = 30;
    static final String INDEX_PATH = "/index.yaml";

    static final com.sun.management.ThreadMXBean THREADS = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    public static void main(String[] args) throws Exception {
        byte[] index = index(CHARTS, VERSIONS);
        IndexRewriter rewriter = new IndexRewriter(List.of("http://chartmuseum:8080/"), "https://charts.example.com", "/");
        // half the charts, by the last digit of their number: what the load tests' b-filter grants
        Policy.Grants grants = new Policy.Grants("rules:0,", List.of(new Rule("half", IdentityMatcher.compile(Map.of()),
                List.of("0", "2", "4", "6", "8").stream().map(d -> PathGlob.compile("/charts/chart-*" + d + "-*.tgz")).toList(),
                List.of())));
        Predicate<IndexDocument.Version> all = version -> true;
        Predicate<IndexDocument.Version> readable = version -> IndexStep.readable(version, rewriter, INDEX_PATH, grants);

        Timed<IndexDocument> coldParse = time(() -> IndexDocument.parse(index));
        IndexDocument document = coldParse.value();
        Timed<IndexDocument.View> coldRender = time(() -> document.render(rewriter::rewriteUrl, all));
        Timed<IndexDocument.View> coldFiltered = time(() -> document.render(rewriter::rewriteUrl, readable));
        Timed<Long> coldPolicy = time(() -> document.versions().stream().filter(readable).count());

        long[][] warm = new long[4][MEASURED_ROUNDS];
        long[][] warmAllocated = new long[4][MEASURED_ROUNDS];
        for (int round = -WARM_UP_ROUNDS; round < MEASURED_ROUNDS; round++) {
            List<Timed<?>> timed = List.of(
                    time(() -> IndexDocument.parse(index)),
                    time(() -> document.render(rewriter::rewriteUrl, all)),
                    time(() -> document.render(rewriter::rewriteUrl, readable)),
                    time(() -> document.versions().stream().filter(readable).count()));
            for (int step = 0; round >= 0 && step < timed.size(); step++) {
                warm[step][round] = timed.get(step).nanos();
                warmAllocated[step][round] = timed.get(step).allocated();
            }
        }

        IndexDocument.View view = coldRender.value();
        IndexDocument.View filtered = coldFiltered.value();
        System.out.printf(Locale.ROOT, "index: %.1f MB, %,d charts, %,d chart versions, %,d URLs%n", index.length / 1e6, CHARTS,
                CHARTS * VERSIONS, document.urlCount());
        System.out.printf(Locale.ROOT, "view: %.1f MB, %,d URLs rewritten; filtered view: %.1f MB, %,d URLs rewritten, %,d versions"
                        + " removed (%,d readable)%n", view.body().length / 1e6, view.rewritten(), filtered.body().length / 1e6,
                filtered.rewritten(), filtered.removed(), coldPolicy.value());
        System.out.printf(Locale.ROOT, "%-44s %8s %9s %11s %8s %9s%n", "", "cold ms", "cold MB", "warm median", "warm min",
                "warm MB");
        row("parse (IndexDocument.parse)", coldParse, warm[0], warmAllocated[0]);
        row("render, URLs rewritten (the shared view)", coldRender, warm[1], warmAllocated[1]);
        row("render, URLs rewritten and filtered (half)", coldFiltered, warm[2], warmAllocated[2]);
        row("  of which the policy check of each version", coldPolicy, warm[3], warmAllocated[3]);
        System.out.printf(Locale.ROOT, "cold: the first call of each in this JVM, in this order; warm: %d calls each after %d"
                + " unmeasured rounds; MB: allocated by one call%n", MEASURED_ROUNDS, WARM_UP_ROUNDS);
        System.out.printf("JVM: %s, max heap %d MB%n", System.getProperty("java.version"), Runtime.getRuntime().maxMemory() >> 20);
    }

    record Timed<T>(T value, long nanos, long allocated) {
    }

    static <T> Timed<T> time(Callable<T> work) throws Exception {
        long id = Thread.currentThread().getId();
        long allocated = THREADS.getThreadAllocatedBytes(id);
        long start = System.nanoTime();
        T value = work.call();
        long nanos = System.nanoTime() - start;
        return new Timed<>(value, nanos, THREADS.getThreadAllocatedBytes(id) - allocated);
    }

    static void row(String label, Timed<?> cold, long[] warmNanos, long[] warmAllocated) {
        long[] sorted = warmNanos.clone();
        Arrays.sort(sorted);
        long[] allocated = warmAllocated.clone();
        Arrays.sort(allocated);
        System.out.printf(Locale.ROOT, "%-44s %8.1f %9.1f %11.1f %8.1f %9.1f%n", label, cold.nanos() / 1e6,
                cold.allocated() / 1e6, sorted[sorted.length / 2] / 1e6, sorted[0] / 1e6, allocated[allocated.length / 2] / 1e6);
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
        out.append("generated: \"2024-05-01T10:00:00Z\"\n");
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }
}
