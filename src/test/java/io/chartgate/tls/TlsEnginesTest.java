package io.chartgate.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chartgate.config.TlsEngine;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The fallback order and the start-up line, with engines that load or fail on demand (no native library here). */
class TlsEnginesTest {

    /** Loads the engines not in {@code failing}; records each attempt. */
    private static TlsEngines.Attempt attempts(Set<TlsEngine> failing, List<TlsEngine> tried) {
        return engine -> {
            tried.add(engine);
            if (failing.contains(engine)) {
                throw new UnsatisfiedLinkError(engine.configName() + ".so: cannot open shared object file");
            }
            return engine == TlsEngine.OPENSSL ? "OpenSSL 3.5.1 1 Jul 2025" : engine == TlsEngine.BORINGSSL ? "BoringSSL" : "JDK 17, SunJSSE";
        };
    }

    @Test
    void theEngineAskedForRunsWhenItLoadsAndIsSaidPlainly() {
        List<TlsEngine> tried = new ArrayList<>();
        TlsEngines.Selection s = TlsEngines.select(TlsEngine.OPENSSL, attempts(Set.of(), tried));
        assertEquals(TlsEngine.OPENSSL, s.inUse());
        assertEquals(List.of(TlsEngine.OPENSSL), tried);
        assertEquals("chartgate: TLS engine: openssl (OpenSSL 3.5.1 1 Jul 2025)", s.startupLine());
    }

    @Test
    void openSslThatDoesNotLoadFallsBackToBoringSslWithAWarningSayingWhy() {
        List<TlsEngine> tried = new ArrayList<>();
        TlsEngines.Selection s = TlsEngines.select(TlsEngine.OPENSSL, attempts(Set.of(TlsEngine.OPENSSL), tried));
        assertEquals(TlsEngine.BORINGSSL, s.inUse());
        assertEquals(List.of(TlsEngine.OPENSSL, TlsEngine.BORINGSSL), tried);
        assertEquals("WARNING: chartgate: TLS engine: boringssl (BoringSSL), falling back from openssl: "
                + "openssl did not load: openssl.so: cannot open shared object file", s.startupLine());
    }

    @Test
    void withNeitherNativeLibraryTheJdkEngineRunsAndBothReasonsAreGiven() {
        List<TlsEngine> tried = new ArrayList<>();
        TlsEngines.Selection s = TlsEngines.select(TlsEngine.OPENSSL,
                attempts(Set.of(TlsEngine.OPENSSL, TlsEngine.BORINGSSL), tried));
        assertEquals(TlsEngine.JDK, s.inUse());
        assertEquals(List.of(TlsEngine.OPENSSL, TlsEngine.BORINGSSL, TlsEngine.JDK), tried);
        assertTrue(s.startupLine().startsWith("WARNING: chartgate: TLS engine: jdk (JDK 17, SunJSSE), falling back from openssl: "
                + "openssl did not load: openssl.so: cannot open shared object file; boringssl did not load: boringssl.so"),
                s.startupLine());
        assertTrue(s.startupLine().endsWith("mounted noexec?)"), "the usual cause of BoringSSL not loading: " + s.startupLine());
    }

    @Test
    void boringSslFallsBackToTheJdkNeverUpToOpenSsl() {
        List<TlsEngine> tried = new ArrayList<>();
        TlsEngines.Selection s = TlsEngines.select(TlsEngine.BORINGSSL, attempts(Set.of(TlsEngine.BORINGSSL), tried));
        assertEquals(TlsEngine.JDK, s.inUse());
        assertEquals(List.of(TlsEngine.BORINGSSL, TlsEngine.JDK), tried);
    }

    @Test
    void theJdkEngineIsNeverReplacedByANativeOne() {
        List<TlsEngine> tried = new ArrayList<>();
        assertEquals(TlsEngine.JDK, TlsEngines.select(TlsEngine.JDK, attempts(Set.of(), tried)).inUse());
        assertEquals(List.of(TlsEngine.JDK), tried);
    }
}
