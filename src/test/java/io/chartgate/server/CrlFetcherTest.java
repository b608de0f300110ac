package io.chartgate.server;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chartgate.tls.CertificateAuthority;
import io.chartgate.tls.KeyType;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CrlFetcherTest {

    private final CertificateAuthority ca = CertificateAuthority.create("Fetch CA", KeyType.EC_P256,
            Instant.now().plus(Duration.ofDays(30)));

    @Test
    void aFetchedCrlWithALowerNumberWouldRollTheCachedOneBack() {
        Instant now = Instant.now();
        var five = ca.crl(Map.of(), now.minusSeconds(60), now.plus(Duration.ofDays(1)), BigInteger.valueOf(5));
        var six = ca.crl(Map.of(), now.minusSeconds(120), now.plus(Duration.ofDays(1)), BigInteger.valueOf(6));
        assertTrue(CrlFetcher.older(five, six), "number 5 after number 6 is a rollback, whatever thisUpdate says");
        assertFalse(CrlFetcher.older(six, five));
        assertFalse(CrlFetcher.older(six, six));
    }
}
