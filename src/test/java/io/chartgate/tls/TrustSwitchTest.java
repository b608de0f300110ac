package io.chartgate.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.chartgate.config.CrlStale;
import io.chartgate.metrics.HandshakeResult;
import io.chartgate.testing.TestPki;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.math.BigInteger;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Handshakes are judged under the trust in force when they happen: a swap of the state changes them at once. A chain
 * sent again under the same trust is judged by its kept path, and time still refuses it.
 */
class TrustSwitchTest {

    @Test
    void handshakesFollowTheTrustInForceAndTheAdvertisedNamesFollowAdvertise(@TempDir Path dir) throws Exception {
        TestPki a = TestPki.create(dir.resolve("a"), "CA A");
        TestPki b = TestPki.create(dir.resolve("b"), "CA B");
        X509Certificate alice = a.client("alice").issue().certificate();
        X509Certificate bob = b.client("bob").issue().certificate();
        ClientTrust trustA = ClientTrust.of(List.of(a.ca().certificate()), List.of(), List.of(), CrlStale.REJECT);
        ClientTrust trustB = ClientTrust.of(List.of(b.ca().certificate()), List.of(), List.of(), CrlStale.REJECT);
        AtomicReference<ClientTrust> inForce = new AtomicReference<>(trustA);
        List<HandshakeRejection> rejections = new ArrayList<>();
        TrustSwitch trust = new TrustSwitch(inForce::get, Clock.systemUTC(), rejections::add);
        // a refusal carries BoringSSL's verify code, as in the server: its library is loaded there before any handshake
        assertEquals(io.chartgate.config.TlsEngine.BORINGSSL, TlsEngines.select(io.chartgate.config.TlsEngine.BORINGSSL).inUse());

        trust.checkClientTrusted(new X509Certificate[] {alice}, "EC");
        assertThrows(CertificateException.class, () -> trust.checkClientTrusted(new X509Certificate[] {bob}, "EC"));
        assertEquals(HandshakeResult.UNKNOWN_CA, rejections.get(0).reason());
        assertArrayEquals(new X509Certificate[] {a.ca().certificate()}, trust.getAcceptedIssuers());

        // a reload names the new CAs for the next TLS context first, then swaps the state: from then on, B's
        trust.advertise(trustB);
        assertArrayEquals(new X509Certificate[] {b.ca().certificate()}, trust.getAcceptedIssuers());
        trust.checkClientTrusted(new X509Certificate[] {alice}, "EC"); // not swapped yet: still A's
        inForce.set(trustB);
        trust.checkClientTrusted(new X509Certificate[] {bob}, "EC");
        assertThrows(CertificateException.class, () -> trust.checkClientTrusted(new X509Certificate[] {alice}, "EC"));
    }
    @Test
    void aChainSentAgainUnderTheSameTrustIsNotCheckedFullyAgainButUnderANewTrustItIs(@TempDir Path dir) throws Exception {
        TestPki a = TestPki.create(dir, "CA A");
        X509Certificate alice = a.client("alice").issue().certificate();
        AtomicReference<ClientTrust> inForce = new AtomicReference<>(
                ClientTrust.of(List.of(a.ca().certificate()), List.of(), List.of(), CrlStale.REJECT));
        TrustSwitch trust = new TrustSwitch(inForce::get, Clock.systemUTC(), rejection -> { });

        trust.checkClientTrusted(new X509Certificate[] {alice}, "EC");
        trust.checkClientTrusted(new X509Certificate[] {alice}, "EC");
        trust.checkClientTrusted(new X509Certificate[] {alice}, "EC");
        assertEquals(1, trust.fullChecks(), "the chain's first handshake is the only one checked fully");

        inForce.set(ClientTrust.of(List.of(a.ca().certificate()), List.of(), List.of(), CrlStale.REJECT));
        trust.checkClientTrusted(new X509Certificate[] {alice}, "EC");
        assertEquals(2, trust.fullChecks(), "a reload's trust checks the chain fully again");
    }

    @Test
    void aChainAcceptedBeforeIsRefusedWithItsReasonOnceItsCrlHasGoneStale(@TempDir Path dir) throws Exception {
        TestPki a = TestPki.create(dir, "CA A");
        X509Certificate alice = a.client("alice").issue().certificate();
        Instant now = Instant.now();
        var crl = a.ca().crl(Map.of(), now.minusSeconds(60), now.plus(Duration.ofHours(1)), BigInteger.TEN);
        ClientTrust trustA = ClientTrust.of(List.of(a.ca().certificate()), List.of(), List.of(crl), CrlStale.REJECT);
        AtomicReference<Instant> time = new AtomicReference<>(now);
        Clock clock = new Clock() {
            @Override
            public ZoneOffset getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return time.get();
            }
        };
        List<HandshakeRejection> rejections = new ArrayList<>();
        TrustSwitch trust = new TrustSwitch(() -> trustA, clock, rejections::add);
        trust.checkClientTrusted(new X509Certificate[] {alice}, "EC");
        trust.checkClientTrusted(new X509Certificate[] {alice}, "EC");

        time.set(now.plus(Duration.ofHours(2))); // past the CRL's nextUpdate, under crlStale: reject
        assertThrows(CertificateException.class, () -> trust.checkClientTrusted(new X509Certificate[] {alice}, "EC"));
        assertEquals(1, rejections.size(), "the refusal is reported like any other");
        assertEquals(HandshakeResult.OTHER, rejections.get(0).reason());
        assertThrows(CertificateException.class, () -> trust.checkClientTrusted(new X509Certificate[] {alice}, "EC"));
    }
}
