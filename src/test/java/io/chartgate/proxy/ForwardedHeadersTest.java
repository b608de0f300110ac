package io.chartgate.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ForwardedHeadersTest {

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', textBlock = """
            X-Forwarded-For                      | true
            X-Forwarded-Tls-Client-Cert          | true
            X-Forwarded-Tls-Client-Cert-Info     | true
            X-Forwarded-Anything-New             | true
            Forwarded                            | true
            X-Amzn-Mtls-Clientcert               | true
            X-Amzn-Mtls-Clientcert-Leaf          | true
            X-ARR-ClientCert                     | true
            X-SSL-Client-Cert                    | true
            X-SSL-Cert                           | true
            Ssl-Client-Verify                    | true
            X-Client-DN                          | true
            Client-Cert                          | true
            Client-Cert-Chain                    | true
            True-Client-IP                       | true
            CF-Connecting-IP                     | true
            X-Real-IP                            | true
            X-Request-Id                         | true
            X-HTTP-Method-Override               | true
            X-Original-URL                       | true
            Remote-User                          | true
            X_Forwarded_For                      | true
            Content-Type                         | false
            Accept                               | false
            Authorization                        | false
            X-Amz-Date                           | false
            User-Agent                           | false
            If-None-Match                        | false
            """)
    void anyHeaderThatAssertsAHopOrAClientIsNeverForwarded(String name, boolean spoofable) {
        assertEquals(spoofable, ForwardedHeaders.isSpoofable(name));
    }
}
