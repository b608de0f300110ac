package io.chartgate.loadtest;

import io.chartgate.loadtest.Fixtures.KeyType;
import io.chartgate.loadtest.Servers.Server;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The memory run: 200 clients download a 100 MiB chart each through chartgate at about 1.6 MB/s apiece (slow
 * readers), while the gateway's resident memory is sampled every 5 s. A gateway that buffers would grow by the
 * difference between the upstream's speed and the clients'; one that streams with backpressure stays flat.
 */
final class MemoryRun {

    static final int DOWNLOADS = 200;
    static final Duration SAMPLE_EVERY = Duration.ofSeconds(5);

    private MemoryRun() {
    }

    /** One reading: seconds into the run, the gateway's RSS (kB), body bytes the clients had read. */
    private record Sample(long seconds, long rssKb, long streamed) {

        String row() {
            return String.format(Locale.ROOT, "| %4d | %,8.1f | %,10.1f |", seconds, rssKb / 1024.0, streamed / 1e6);
        }
    }

    static int run(Options options) throws Exception {
        Options.requireTools(options);
        Path work = options.out.resolve("work-memory");
        Bench.deleteRecursively(work);
        Files.createDirectories(work);
        int upstreamPort = Servers.freePort();
        Fixtures fixtures = Fixtures.create(work, "http://127.0.0.1:" + upstreamPort + "/", true);
        Fixtures.Pki pki = fixtures.pki(KeyType.ECDSA);
        Integer serverCore = options.pin ? Bench.SERVER_CORE : null;
        Integer clientCore = options.pin ? Bench.CLIENT_CORE : null;
        int port = Servers.freePort();
        List<Sample> samples = new ArrayList<>();
        LoadClient.Result result;
        long streamed;
        try (Server upstream = Servers.upstreamNginx("upstream", work, fixtures, upstreamPort, clientCore);
             Server gateway = Servers.chartgate(work, options.jar, "chartgate", port, Servers.freePort(), upstreamPort, 0, pki,
                     options.jvmOptions, options.engine, serverCore);
             LoadClient client = new LoadClient()) {
            System.out.printf("chartgate JVM options: %s; %d slow downloads of 100 MiB for %d s%n",
                    String.join(" ", options.jvmOptions), DOWNLOADS,
                    options.measure.toSeconds());
            LoadClient.Load load = new LoadClient.Load("127.0.0.1", port, Bench.clientContext(pki), "GET",
                    Fixtures.HUGE_CHART, null, DOWNLOADS, false, 100L << 20, true);
            samples.add(new Sample(0, gateway.rssKb(), 0));
            Thread sampler = new Thread(() -> {
                long start = System.nanoTime();
                try {
                    while (true) {
                        Thread.sleep(SAMPLE_EVERY.toMillis());
                        Sample sample = new Sample((System.nanoTime() - start) / 1_000_000_000L, gateway.rssKb(),
                                client.streamed());
                        synchronized (samples) {
                            samples.add(sample);
                        }
                        System.out.println(sample.row());
                    }
                } catch (InterruptedException stop) {
                    // the run is over
                }
            }, "rss-sampler");
            sampler.setDaemon(true);
            sampler.start();
            result = client.run(load, Duration.ZERO, options.measure, gateway::cpuNanos);
            streamed = client.streamed();
            sampler.interrupt();
            sampler.join();
        }
        // the sampler has been joined: the list is complete and no longer shared
        long maxRss = samples.stream().mapToLong(Sample::rssKb).max().orElse(0);
        long firstRss = samples.size() > 1 ? samples.get(1).rssKb() : -1;
        String table = "| s | RSS MiB | MB streamed |\n|---:|---:|---:|\n"
                + String.join("\n", samples.stream().map(Sample::row).toList()) + "\n";
        String summary = String.format(Locale.ROOT,
                "%d downloads, %.0f MB streamed in %d s (%.0f MB/s), %d errors; RSS max %.0f MiB, first sample under load %.0f MiB%n",
                DOWNLOADS, streamed / 1e6, options.measure.toSeconds(), streamed / 1e6 / options.measure.toSeconds(),
                result.errors(),
                maxRss / 1024.0, firstRss / 1024.0);
        System.out.println();
        System.out.println(table);
        System.out.print(summary);
        Files.writeString(options.out.resolve("memory.md"), "machine: " + Machine.describe() + "\nchartgate JVM options: "
                + String.join(" ", options.jvmOptions) + "\n" + summary + "\n" + table);
        System.out.println("written to " + options.out.resolve("memory.md"));
        if (result.errors() > 0) {
            System.err.println("load-tests: " + result.errors() + " errors, first: " + result.firstError());
            return 1;
        }
        if (samples.size() >= 3
                && samples.get(samples.size() - 1).streamed() == samples.get(samples.size() - 2).streamed()) {
            System.err.println("load-tests: the downloads stalled: nothing was streamed in the last "
                    + SAMPLE_EVERY.toSeconds() + " s (see " + work.resolve("chartgate/stderr.log") + ")");
            return 1;
        }
        return 0;
    }
}
