package io.chartgate.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class PublicBaseTest {

    private static final PublicBase FROM_CERTIFICATE = new PublicBase(null,
            List.of("charts.example.com", "gw.internal", "127.0.0.1", "0:0:0:0:0:0:0:1"));

    @ParameterizedTest(name = "Host {0} -> {1}")
    @CsvSource(delimiter = '|', nullValues = "none", textBlock = """
            charts.example.com           | https://charts.example.com
            CHARTS.example.com:8443      | https://charts.example.com:8443
            gw.internal:443              | https://gw.internal:443
            127.0.0.1:8443               | https://127.0.0.1:8443
            [::1]:8443                   | https://[::1]:8443
            evil.example                 | https://charts.example.com
            evil.example:8443            | https://charts.example.com:8443
            charts.example.com.evil:1    | https://charts.example.com:1
            charts.example.com:99999     | https://charts.example.com
            charts.example.com:x         | https://charts.example.com
            127.0.0.2                    | https://charts.example.com
            none                         | https://charts.example.com
            """)
    void aHostThatNamesTheCertificateIsKeptAndAnyOtherGetsItsFirstName(String host, String base) {
        assertEquals(base, FROM_CERTIFICATE.of(host));
    }

    @Test
    void theConfiguredPublicUrlWinsOverAnyHost() {
        PublicBase configured = new PublicBase(URI.create("https://charts.example.com/gw"), List.of("localhost"));
        assertEquals("https://charts.example.com/gw", configured.of("localhost:8443"));
    }

    @Test
    void aWildcardNameIsNeverTheFallback() {
        assertEquals("https://gw.example.com", new PublicBase(null, List.of("*.example.com", "gw.example.com")).of("x.example.com"));
    }
}
