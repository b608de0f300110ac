package io.chartgate.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chartgate.testing.Openssl;
import io.chartgate.testing.TestPki;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdentityExtractorTest {

    @TempDir
    Path dir;

    @Test
    void everyFieldComesFromTheParsedCertificate() throws Exception {
        TestPki pki = TestPki.create(dir, "Identity CA");
        TestPki.Issued bob = pki.client("bob").ou("engineering", "platform").o("Acme")
                .sans(List.of("bob.example.com"), List.of("10.0.0.7"), List.of("spiffe://acme/bob"), List.of("bob@acme.example"))
                .issue();
        ClientIdentity id = IdentityExtractor.fromCertificate(bob.certificate(), pki.ca().certificate());
        assertEquals("CN=bob,OU=platform,OU=engineering,O=Acme", id.subject().rfc4514());
        assertEquals(List.of("O", "OU", "OU", "CN"),
                id.subject().rdns().stream().map(r -> r.attributes().get(0).name()).toList(), "certificate order");
        assertEquals("bob", id.cn());
        assertEquals(List.of("engineering", "platform"), id.ou());
        assertEquals(List.of("Acme"), id.o());
        assertEquals(List.of("bob.example.com"), id.sanDns());
        assertEquals(List.of("10.0.0.7"), id.sanIp());
        assertEquals(List.of("spiffe://acme/bob"), id.sanUri());
        assertEquals(List.of("bob@acme.example"), id.sanEmail());
        assertEquals("CN=Identity CA", id.issuer().rfc4514());
        assertEquals(bob.certificate().getSerialNumber().toString(16), id.serial());
        assertEquals(bob.certificate().getNotAfter().toInstant(), id.notAfter());
        assertEquals("bob", id.principal());

        // the fingerprint is what openssl prints, lowercased without colons
        String openssl = Openssl.run(dir, "x509", "-in", bob.certFile().toString(), "-noout", "-fingerprint", "-sha256");
        String expected = openssl.substring(openssl.indexOf('=') + 1).trim().replace(":", "").toLowerCase();
        assertEquals(expected, id.fingerprint());
        assertTrue(id.fingerprint().matches("[0-9a-f]{64}"));
    }

    @Test
    void aCertificateWithoutCnIsNamedByItsSubject() {
        TestPki pki = TestPki.create(dir, "Identity CA");
        var cert = pki.ca().issue(io.chartgate.tls.CertificateRequest.client(null, 1).withO("Acme")).certificate();
        ClientIdentity id = IdentityExtractor.fromCertificate(cert, pki.ca().certificate());
        assertEquals(null, id.cn());
        assertEquals("O=Acme", id.principal());
    }

    @Test
    void theAnonymousIdentityHasNoCertificateFields() {
        assertTrue(ClientIdentity.ANONYMOUS.isAnonymous());
        assertEquals(null, ClientIdentity.ANONYMOUS.fingerprint());
        assertEquals("anonymous", ClientIdentity.ANONYMOUS.principal());
    }
}
