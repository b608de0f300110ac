package io.chartgate.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chartgate.config.ClientAuth;
import io.chartgate.config.CrlStale;
import io.chartgate.config.MatchKey;
import io.chartgate.config.TlsConfig;
import io.chartgate.identity.ClientIdentity;
import io.chartgate.identity.IdentityExtractor;
import io.chartgate.policy.IdentityMatcher;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Trust is bound to keys, not names: the anchor a chain verifies to is what {@code issuer} means, and CRLs
 * apply through the key of each certificate's verified issuer, intermediates included.
 */
class ClientTrustTest {

    @TempDir
    static Path dir;

    private static final Instant YEAR = Instant.now().plus(Duration.ofDays(365));

    private static CertificateAuthority teamA;
    private static CertificateAuthority teamB;
    /** Team B's sub-CA that calls itself Team A's CA. */
    private static CertificateAuthority impostor;
    private static CertificateAuthority.Issued mallory;

    @BeforeAll
    static void pki() {
        teamA = CertificateAuthority.create("Team A CA", KeyType.EC_P256, YEAR);
        teamB = CertificateAuthority.create("Team B CA", KeyType.EC_P256, YEAR);
        impostor = teamB.subordinate("Team A CA", YEAR);
        mallory = impostor.issue(CertificateRequest.client("mallory", 1));
    }

    private static ClientTrust trust(List<X509Certificate> anchors, List<X509Certificate> intermediates, List<X509CRL> crls) {
        return ClientTrust.of(anchors, intermediates, crls, CrlStale.REJECT);
    }

    private static X509CRL crl(CertificateAuthority ca, X509Certificate... revoked) {
        Map<BigInteger, Instant> entries = new java.util.HashMap<>();
        for (X509Certificate cert : revoked) {
            entries.put(cert.getSerialNumber(), Instant.now().minusSeconds(60));
        }
        return ca.crl(entries, Instant.now().minusSeconds(120), Instant.now().plus(Duration.ofDays(7)), BigInteger.ONE);
    }

    private static boolean matches(ClientIdentity id, MatchKey key, String value) {
        return IdentityMatcher.compile(Map.of(key, value)).matches(id);
    }

    @Test
    void aSubCaCopyingAnotherTrustedCasNameGivesItsCertificatesTheRealRootAsIssuer() {
        ClientTrust trust = trust(List.of(teamA.certificate(), teamB.certificate()), List.of(), List.of());
        ClientTrust.Verification v = trust.verify(List.of(mallory.certificate(), impostor.certificate()), Instant.now());
        assertNull(v.refusal(), () -> v.refusal().message());
        assertEquals(teamB.certificate(), v.chain().anchor(), "the chain verifies to Team B, whatever its names say");
        assertEquals(List.of(mallory.certificate(), impostor.certificate()), v.chain().path());

        ClientIdentity id = IdentityExtractor.fromCertificate(mallory.certificate(), v.chain().anchor());
        assertEquals("CN=Team B CA", id.issuer().rfc4514());
        assertFalse(matches(id, MatchKey.ISSUER, "CN=Team A CA"), "an intermediate's name never satisfies issuer");
        assertFalse(matches(id, MatchKey.ISSUER_FINGERPRINT, IdentityExtractor.fingerprint(teamA.certificate())));
        assertTrue(matches(id, MatchKey.ISSUER, "CN=Team B CA"));
        assertTrue(matches(id, MatchKey.ISSUER_FINGERPRINT, IdentityExtractor.fingerprint(teamB.certificate())));
    }

    @Test
    void aLeafNoConfiguredCaSignedIsNotTrustedWhateverItsIssuerIsCalled() {
        ClientTrust trust = trust(List.of(teamA.certificate()), List.of(), List.of());
        ClientTrust.Verification v = trust.verify(List.of(mallory.certificate(), impostor.certificate()), Instant.now());
        assertNull(v.chain());
        assertEquals(ClientTrust.Reason.UNTRUSTED, v.refusal().reason());
        assertTrue(v.refusal().message().contains("does not chain to a trusted client CA"), v.refusal().message());
    }

    @Test
    void aCrlAppliesThroughItsSignersKeyNotItsName() {
        // Team A's CRL happens to list the serial of a certificate issued under the impostor named "Team A CA"
        CrlSet crls = new CrlSet(List.of(crl(teamA, mallory.certificate())), List.of(teamA.certificate(), teamB.certificate()),
                CrlStale.REJECT);
        assertNull(crls.refusal(mallory.certificate(), impostor.certificate(), Instant.now()),
                "Team A's CRL covers what Team A's key signed, not what a namesake signed");
        CertificateAuthority.Issued alice = teamA.issue(CertificateRequest.client("alice", 1));
        CrlSet real = new CrlSet(List.of(crl(teamA, alice.certificate())), List.of(teamA.certificate()), CrlStale.REJECT);
        assertTrue(real.refusal(alice.certificate(), teamA.certificate(), Instant.now()).revoked());
    }

    @Test
    void threeLevelsVerifyWithTheIntermediateSentOrConfigured() {
        CertificateAuthority root = CertificateAuthority.create("Root CA", KeyType.EC_P256, YEAR);
        CertificateAuthority issuing = root.subordinate("Issuing CA", YEAR);
        CertificateAuthority.Issued leaf = issuing.issue(CertificateRequest.client("carol", 1));

        ClientTrust rootsOnly = trust(List.of(root.certificate()), List.of(), List.of());
        ClientTrust.Verification sent = rootsOnly.verify(List.of(leaf.certificate(), issuing.certificate()), Instant.now());
        assertNotNull(sent.chain(), () -> sent.refusal().message());
        assertEquals(root.certificate(), sent.chain().anchor());
        assertEquals(ClientTrust.Reason.UNTRUSTED, rootsOnly.verify(List.of(leaf.certificate()), Instant.now()).refusal().reason(),
                "without the intermediate there is no path");

        ClientTrust configured = trust(List.of(root.certificate()), List.of(issuing.certificate()), List.of());
        ClientTrust.Verification alone = configured.verify(List.of(leaf.certificate()), Instant.now());
        assertNotNull(alone.chain(), () -> alone.refusal().message());
        assertEquals(List.of(leaf.certificate(), issuing.certificate()), alone.chain().path());

        ClientTrust intermediateAsAnchor = trust(List.of(issuing.certificate()), List.of(), List.of());
        ClientTrust.Verification underIntermediate = intermediateAsAnchor.verify(List.of(leaf.certificate()), Instant.now());
        assertEquals(issuing.certificate(), underIntermediate.chain().anchor(),
                "an intermediate configured as the anchor (trust only this sub-CA) is the issuer rules name");
    }

    @Test
    void everyCertificateOfThePathIsCheckedAgainstItsIssuersCrlAndItsDates() {
        CertificateAuthority root = CertificateAuthority.create("Root CA", KeyType.EC_P256, YEAR);
        CertificateAuthority issuing = root.subordinate("Issuing CA", Instant.now().plus(Duration.ofHours(1)));
        CertificateAuthority.Issued leaf = issuing.issue(CertificateRequest.client("carol", 30));
        List<X509Certificate> sent = List.of(leaf.certificate(), issuing.certificate());

        ClientTrust clean = trust(List.of(root.certificate()), List.of(), List.of(crl(root), crl(issuing)));
        ClientTrust.VerifiedChain chain = clean.verify(sent, Instant.now()).chain();
        assertNotNull(chain);
        assertNull(clean.recheck(chain, Instant.now()));

        ClientTrust.Refusal later = clean.recheck(chain, Instant.now().plus(Duration.ofHours(2)));
        assertEquals(ClientTrust.Reason.EXPIRED, later.reason(), "the intermediate expired while the leaf did not");
        assertTrue(later.message().startsWith("the CA certificate CN=Issuing CA"), later.message());

        ClientTrust intermediateRevoked = trust(List.of(root.certificate()), List.of(issuing.certificate()),
                List.of(crl(root, issuing.certificate())));
        ClientTrust.Verification v = intermediateRevoked.verify(sent, Instant.now());
        assertEquals(ClientTrust.Reason.REVOKED, v.refusal().reason());
        assertTrue(v.refusal().message().contains("CN=Issuing CA"), v.refusal().message());
        assertEquals(ClientTrust.Reason.REVOKED, intermediateRevoked.recheck(chain, Instant.now()).reason(),
                "an open connection's chain is re-checked against the new CRL");

        // an intermediate's CRL counts once the intermediate is configured (its key is what verifies the CRL)
        ClientTrust leafRevoked = trust(List.of(root.certificate()), List.of(issuing.certificate()),
                List.of(crl(issuing, leaf.certificate())));
        assertEquals(ClientTrust.Reason.REVOKED, leafRevoked.verify(sent, Instant.now()).refusal().reason());
    }

    @Test
    void aCaInClientCaFileIssuedByAnotherConfiguredCaIsAnIntermediateSoItsIssuersCrlRevokesIt() throws Exception {
        TestPkiFiles files = new TestPkiFiles(dir.resolve("bundle"));
        CertificateAuthority root = CertificateAuthority.create("Bundle Root", KeyType.EC_P256, YEAR);
        CertificateAuthority issuing = root.subordinate("Bundle Issuing", YEAR);
        CertificateAuthority.Issued leaf = issuing.issue(CertificateRequest.client("dave", 1));
        Path bundle = files.write("bundle.crt", CertificateAuthority.pem(root.certificate()) + CertificateAuthority.pem(issuing.certificate()));
        Path revocations = files.write("root.crl", CertificateAuthority.pem(crl(root, issuing.certificate())));
        CertificateAuthority.Issued server = root.issue(CertificateRequest.server("gateway", List.of("localhost"), List.of(), 1));
        Path cert = files.write("server.crt", server.certificatePem());
        Path key = files.write("server.key", server.keyPem());
        TlsConfig config = new TlsConfig(cert, key, null, null, null, bundle, null, ClientAuth.REQUIRED, List.of(revocations),
                CrlStale.REJECT, TlsConfig.SUPPORTED_PROTOCOLS);

        TlsMaterial material = TlsMaterial.load(config, Instant.now());
        assertEquals(List.of(root.certificate()), material.clientCas());
        assertEquals(List.of(issuing.certificate()), material.intermediates());
        assertTrue(material.warnings().stream().anyMatch(w -> w.contains("CN=Bundle Issuing") && w.contains("intermediate")),
                () -> String.join("\n", material.warnings()));
        ClientTrust.Verification v = ClientTrust.of(material, CrlStale.REJECT).verify(List.of(leaf.certificate()), Instant.now());
        assertEquals(ClientTrust.Reason.REVOKED, v.refusal() == null ? null : v.refusal().reason(),
                "the intermediate is revocable, not an anchor nothing can revoke");
    }

    /** Writes PEM text to files in one directory. */
    private record TestPkiFiles(Path dir) {
        Path write(String name, String text) throws java.io.IOException {
            Files.createDirectories(dir);
            return Files.writeString(dir.resolve(name), text);
        }
    }

    @Test
    void aChainSentAgainReusesItsPathUntilTimeRefusesItThenItIsLookedForAgain() {
        CertificateAuthority shortLived = teamB.subordinate("Team B Issuing CA", Instant.now().plus(Duration.ofDays(2)));
        X509Certificate leaf = shortLived.issue(CertificateRequest.client("carol", 30)).certificate();
        ClientTrust trust = trust(List.of(teamB.certificate()), List.of(), List.of());
        List<X509Certificate> sent = List.of(leaf, shortLived.certificate());
        ClientTrust.Verification first = trust.verify(sent, Instant.now());
        assertNull(first.refusal());
        assertSame(first.chain(), trust.verify(sent, Instant.now()).chain(), "the second connection reuses the path");
        // three days on, the issuing CA has expired: the kept path no longer holds, and no other does
        ClientTrust.Verification later = trust.verify(sent, Instant.now().plus(Duration.ofDays(3)));
        assertNull(later.chain());
        assertEquals(ClientTrust.Reason.EXPIRED, later.refusal().reason(), later.refusal().message());
        List<X509Certificate> stranger = List.of(teamA.issue(CertificateRequest.client("dave", 1)).certificate());
        assertNull(trust.verify(stranger, Instant.now()).chain());
        assertNull(trust.verify(stranger, Instant.now()).chain(), "a chain that does not hold is not kept as holding");
    }
}
