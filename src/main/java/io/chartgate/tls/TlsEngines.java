package io.chartgate.tls;

import io.chartgate.config.TlsEngine;
import io.netty.handler.ssl.OpenSsl;
import io.netty.util.internal.NativeLibraryLoader;
import io.netty.util.internal.PlatformDependent;
import java.util.ArrayList;
import java.util.List;

/**
 * The TLS engine this process runs on, chosen once: a JNI library cannot be unloaded, and two netty-tcnative
 * libraries cannot share a process (each registers its natives for the same classes; the last one loaded wins).
 *
 * <p>The jar carries netty-tcnative's two native builds under names of its own,
 * {@code META-INF/native/libnetty_tcnative_chartgate_boringssl_<os>_<arch>.so} and
 * {@code …_openssl_…} (the build copies them there; both upstream jars use the one name
 * {@code libnetty_tcnative_linux_x86_64.so}). Netty's {@code OpenSsl} looks only for {@code netty_tcnative_<os>_<arch>_<classifier>},
 * {@code netty_tcnative_<os>_<arch>}, {@code …_fedora}, {@code netty_tcnative_<arch>} and {@code netty_tcnative}, finds none,
 * and then initialises netty-tcnative with the library "provided", which works when the natives were registered by
 * other means: here, by loading the chosen library with Netty's own {@code NativeLibraryLoader} before {@code OpenSsl} is
 * first touched. The names keep {@code lib} + {@code netty_tcnative} at their front, as the library's {@code JNI_OnLoad}
 * parses the text before {@code netty_tcnative} as a shading prefix.
 *
 * <p>The one process-wide state in chartgate, for the reason above.
 */
public final class TlsEngines {

    private static Selection selection;
    private static boolean nativeLoaded;

    private TlsEngines() {
    }

    /**
     * The engine asked for, the engine that runs, its library's version, and why each one tried before it did not
     * load (empty when the engine asked for runs).
     */
    public record Selection(TlsEngine requested, TlsEngine inUse, String version, List<String> failures) {

        public Selection {
            failures = List.copyOf(failures);
        }

        /** The start-up line: the engine in use and, after a fallback, a warning saying why. */
        public String startupLine() {
            String running = "TLS engine: " + inUse.configName() + " (" + version + ")";
            if (failures.isEmpty()) {
                return "chartgate: " + running;
            }
            return "WARNING: chartgate: " + running + ", falling back from " + requested.configName() + ": "
                    + String.join("; ", failures);
        }
    }

    /** Loads one engine and returns its version, or throws why it cannot run here. */
    interface Attempt {
        String load(TlsEngine engine) throws Throwable;
    }

    /**
     * The engine of this process: on the first call {@code requested}, or the first of its fallbacks that loads;
     * afterwards whatever the first call chose, whatever is asked (a change of {@code server.tls.engine} waits for a
     * restart, which a reload reports).
     */
    public static synchronized Selection select(TlsEngine requested) {
        if (selection == null) {
            selection = select(requested, TlsEngines::load);
        }
        return selection;
    }

    /** The engine of this process, the default one if nothing chose before. */
    public static Selection current() {
        return select(TlsEngine.DEFAULT);
    }

    static Selection select(TlsEngine requested, Attempt attempt) {
        List<String> failures = new ArrayList<>();
        for (TlsEngine engine : requested.fallbacks()) {
            try {
                return new Selection(requested, engine, attempt.load(engine), failures);
            } catch (Throwable t) {
                failures.add(engine.configName() + " did not load: " + reason(t)
                        + (engine == TlsEngine.BORINGSSL ? " (is " + System.getProperty("java.io.tmpdir") + " mounted noexec?)" : ""));
            }
        }
        throw new IllegalStateException("no TLS engine loaded: " + failures);
    }

    private static String load(TlsEngine engine) {
        if (engine == TlsEngine.JDK) {
            return "JDK " + Runtime.version().feature() + ", " + jdkProvider();
        }
        if (nativeLoaded) {
            // the natives of the library loaded before stay registered, and OpenSsl keeps its first verdict
            throw new IllegalStateException("another netty-tcnative library was loaded first");
        }
        String name = "netty_tcnative_chartgate_" + engine.configName() + "_" + PlatformDependent.normalizedOs() + "_"
                + PlatformDependent.normalizedArch();
        // the class loader OpenSsl loads netty-tcnative with, so the natives bind to the classes it uses
        ClassLoader loader = PlatformDependent.getClassLoader(io.netty.internal.tcnative.SSLContext.class);
        if (loader.getResource("META-INF/native/" + System.mapLibraryName(name)) == null) {
            throw new UnsatisfiedLinkError("this jar has no " + engine.configName() + " build for "
                    + PlatformDependent.normalizedOs() + " " + PlatformDependent.normalizedArch());
        }
        NativeLibraryLoader.load(name, loader);
        nativeLoaded = true;
        if (!OpenSsl.isAvailable()) {
            throw new IllegalStateException("netty-tcnative did not initialise", OpenSsl.unavailabilityCause());
        }
        // as OpenSsl itself tells BoringSSL (IS_BORINGSSL): by its version string
        if ("BoringSSL".equals(OpenSsl.versionString()) != (engine == TlsEngine.BORINGSSL)) {
            // a netty_tcnative library on java.library.path, which Netty loads itself, took the natives over
            throw new IllegalStateException("Netty loaded another netty-tcnative library (" + OpenSsl.versionString() + ")");
        }
        return OpenSsl.versionString();
    }

    private static String jdkProvider() {
        try {
            return javax.net.ssl.SSLContext.getDefault().getProvider().getName();
        } catch (java.security.NoSuchAlgorithmException e) {
            return "no default SSLContext";
        }
    }

    /** The message of {@code t} and of its causes, which say what was missing (a library, a symbol version). */
    private static String reason(Throwable t) {
        StringBuilder reason = new StringBuilder(String.valueOf(t.getMessage()));
        for (Throwable cause = t.getCause(); cause != null && cause != t; cause = cause.getCause()) {
            if (cause.getMessage() != null && !reason.toString().contains(cause.getMessage())) {
                reason.append(": ").append(cause.getMessage());
            }
        }
        return reason.toString();
    }
}
