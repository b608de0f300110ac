package io.chartgate.cli;

import io.chartgate.config.ConfigException;
import io.chartgate.config.ConfigLoader;
import io.chartgate.metrics.GatewayMetrics;
import io.chartgate.proxy.AccessLog;
import io.chartgate.server.CompiledConfig;
import io.chartgate.server.Gateway;
import io.chartgate.tls.TlsEngines;
import io.vertx.core.Vertx;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import sun.misc.Signal;

/**
 * Runs a gateway until SIGTERM or SIGINT, then shuts it down gracefully and returns 0: what {@code run} and
 * {@code demo} share. Signals are handled (not left to shutdown hooks) so a clean stop exits 0.
 */
final class Serving {

    private Serving() {
    }

    /**
     * @param started called once the gateway listens (demo prints its instructions there)
     * @return the exit code: 0 after a signal, 1 when the configuration or a port is unusable
     */
    static int serve(CliContext context, Path configFile, PrintWriter err, Consumer<Gateway> started) {
        CompiledConfig compiled;
        ConfigLoader loader = new ConfigLoader(context.env());
        try {
            compiled = CompiledConfig.compile(loader.load(configFile), Instant.now());
        } catch (ConfigException e) {
            ConfigCheckCommand.printErrors(err, configFile, e);
            return 1;
        }
        compiled.warnings().forEach(w -> err.println("warning: " + w));
        // before the event loops and the gateway: nothing may touch Netty's OpenSsl before the engine's library loads
        TlsEngines.Selection engine = TlsEngines.select(compiled.config().server().tls().engine());
        Vertx vertx = Gateway.newVertx(compiled.config().server().eventLoops());
        AccessLog accessLog = new AccessLog(new FileOutputStream(FileDescriptor.out));
        Gateway gateway;
        try {
            gateway = Gateway.start(vertx, loader, compiled, accessLog,
                    new GatewayMetrics(compiled.config().metrics().maxPrincipals()))
                    .await(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            err.println("chartgate: cannot start: " + e.getMessage());
            accessLog.close();
            vertx.close();
            return 1;
        }
        CountDownLatch stop = new CountDownLatch(1);
        Signal.handle(new Signal("TERM"), signal -> stop.countDown());
        Signal.handle(new Signal("INT"), signal -> stop.countDown());
        Gateway running = gateway;
        Signal.handle(new Signal("HUP"), signal -> running.reload("signal"));
        err.println("chartgate: listening on https://" + compiled.config().server().host() + ":" + gateway.port()
                + ", admin on http://" + compiled.config().admin().host() + ":" + gateway.adminPort());
        err.println("chartgate: network transport: " + (vertx.isNativeTransportEnabled() ? "native (epoll)" : "NIO"));
        printFallbacks(err, vertx);
        err.println(engine.startupLine());
        if (hangupIgnored(procStatus())) {
            err.println("warning: SIGHUP was ignored when chartgate started (under nohup?) and will not reload; "
                    + "use POST /-/reload on the admin port or let the file watch pick up changes");
        }
        err.flush();
        started.accept(gateway);
        try {
            stop.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        err.println("chartgate: stopping; letting in-flight requests finish");
        err.flush();
        int grace = compiled.config().server().shutdownGraceSeconds();
        try {
            gateway.close().await(grace + 5L, TimeUnit.SECONDS);
        } catch (Exception e) {
            err.println("chartgate: shutdown did not finish cleanly: " + e.getMessage());
        }
        try {
            vertx.close().await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            err.println("chartgate: the event loops did not stop cleanly: " + e.getMessage());
        }
        return 0;
    }

    /**
     * A native library that did not load (typically: java.io.tmpdir mounted noexec, where Netty unpacks them) makes
     * the gateway fall back to NIO, slower. Said loudly. (The TLS engine's line, fallback or not, is
     * {@link TlsEngines.Selection#startupLine()}.)
     */
    private static void printFallbacks(PrintWriter err, Vertx vertx) {
        if (!vertx.isNativeTransportEnabled()) {
            err.println("WARNING: chartgate: the native transport (epoll) did not load, falling back to NIO: "
                    + vertx.unavailableNativeTransportCause() + " (is " + System.getProperty("java.io.tmpdir")
                    + " mounted noexec?)");
        }
    }

    /**
     * Whether SIGHUP is in a {@code /proc/self/status} text's {@code SigIgn} mask. A process started with SIGHUP
     * ignored (nohup) keeps it ignored: the JVM then drops the handler installed above without a word.
     */
    static boolean hangupIgnored(String status) {
        for (String line : status.split("\n")) {
            if (line.startsWith("SigIgn:")) {
                try {
                    return (Long.parseUnsignedLong(line.substring("SigIgn:".length()).trim(), 16) & 1L) != 0;
                } catch (NumberFormatException e) {
                    return false;
                }
            }
        }
        return false;
    }

    private static String procStatus() {
        try {
            return java.nio.file.Files.readString(Path.of("/proc/self/status"));
        } catch (java.io.IOException | RuntimeException e) {
            return "";
        }
    }
}
