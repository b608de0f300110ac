package io.chartgate.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.chartgate.config.MatchKey;
import io.chartgate.identity.ClientIdentity;
import io.chartgate.identity.IdentityExtractor;
import io.chartgate.tls.CertificateAuthority;
import io.chartgate.tls.CertificateRequest;
import io.chartgate.tls.KeyType;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class IdentityMatcherTest {

    private static ClientIdentity bob;
    private static ClientIdentity frank;

    @BeforeAll
    static void certificates() {
        CertificateAuthority ca = CertificateAuthority.create("Test CA", KeyType.EC_P256, Instant.now().plusSeconds(86_400));
        bob = IdentityExtractor.fromCertificate(ca.issue(CertificateRequest.client("bob", 1)
                .withOu("engineering", "platform").withO("Acme")
                .withSans(List.of("Bob.Example.com"), List.of("10.1.2.3"), List.of("spiffe://acme/ci/bob"), List.of("bob@acme.example")))
                .certificate(), ca.certificate());
        frank = IdentityExtractor.fromCertificate(ca.issue(CertificateRequest.client("frank,OU=engineering", 1)
                .withOu("marketing")).certificate(), ca.certificate());
    }

    private static boolean matches(ClientIdentity id, String key, String value) {
        return IdentityMatcher.compile(Map.of(MatchKey.fromYaml(key), value)).matches(id);
    }

    @ParameterizedTest(name = "{0}: {1} = {2}")
    @CsvSource(delimiter = '|', textBlock = """
            cn        | bob                                | true
            cn        | Bob                                | false
            cn        | b*                                 | true
            cn        | *                                  | true
            ou        | platform                           | true
            ou        | engineering                        | true
            ou        | eng*                               | true
            ou        | marketing                          | false
            o         | Acme                               | true
            sanDns    | bob.example.com                    | true
            sanDns    | *.example.com                      | true
            sanDns    | *.other.com                        | false
            sanUri    | spiffe://acme/ci/*                 | true
            sanUri    | spiffe://acme/prod/*               | false
            sanEmail  | bob@acme.example                   | true
            subject   | CN=bob,OU=platform,OU=engineering,O=Acme | true
            subject   | CN=*,OU=platform,OU=engineering,O=Acme   | true
            subject   | cn=bob,ou=platform,ou=engineering,o=Acme | true
            subject   | CN=bob,OU=engineering,O=Acme       | false
            subject   | O=Acme,OU=engineering,OU=platform,CN=bob | false
            subject   | CN=bob                             | false
            issuer    | CN=Test CA                         | true
            issuer    | CN=Other CA                        | false
            """)
    void valuesAreExactOrGlobOverParsedFields(String key, String value, boolean expected) {
        assertEquals(expected, matches(bob, key, value));
    }

    @Test
    void fingerprintAndSerialIgnoreCaseAndColons() {
        String fp = bob.fingerprint().toUpperCase();
        String colons = String.join(":", fp.split("(?<=\\G..)"));
        assertEquals(true, matches(bob, "fingerprint", colons));
        assertEquals(true, matches(bob, "serial", "00" + bob.serial().toUpperCase()));
        assertEquals(false, matches(bob, "serial", "01"));
    }

    @Test
    void issuerFingerprintIsTheAnchorsHexIgnoringCaseAndColonsAndNeverAGlob() {
        String fp = bob.issuerFingerprint().toUpperCase();
        assertEquals(true, matches(bob, "issuerFingerprint", String.join(":", fp.split("(?<=\\G..)"))));
        assertEquals(false, matches(bob, "issuerFingerprint", "00".repeat(32)));
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> matches(bob, "issuerFingerprint", "ab*"));
        assertEquals("\"ab*\" is not a 64-digit hex issuerFingerprint (colons and case do not matter; globs are not allowed "
                + "here)", e.getMessage());
    }

    @Test
    void aCommaInsideTheCnIsNotAnotherAttribute() {
        assertEquals("frank,OU=engineering", frank.cn());
        assertEquals(List.of("marketing"), frank.ou());
        assertEquals(false, matches(frank, "ou", "engineering"));
        assertEquals(false, matches(frank, "cn", "frank"));
        assertEquals(false, matches(frank, "subject", "CN=frank,OU=engineering,OU=marketing"));
        assertEquals(true, matches(frank, "subject", "CN=frank\\,OU=engineering,OU=marketing"));
        assertEquals("CN=frank\\,OU\\=engineering,OU=marketing", frank.subject().rfc4514());
    }

    @Test
    void everyConditionMustHold() {
        var matcher = IdentityMatcher.compile(Map.of(MatchKey.CN, "bob", MatchKey.O, "Other"));
        assertEquals(false, matcher.matches(bob));
        assertEquals("o [Acme] holds no \"Other\"", matcher.mismatch(bob).orElseThrow());
    }

    @Test
    void anonymousMatchesNoRule() {
        assertEquals("no client certificate",
                IdentityMatcher.compile(Map.of(MatchKey.CN, "*")).mismatch(ClientIdentity.ANONYMOUS).orElseThrow());
    }
}
