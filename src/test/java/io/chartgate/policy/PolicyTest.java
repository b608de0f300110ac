package io.chartgate.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chartgate.config.ConfigError;
import io.chartgate.config.ConfigException;
import io.chartgate.config.ConfigLoader;
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

class PolicyTest {

    private static final String RULES = """
            policy:
              rules:
                - name: release-bot
                  match: { cn: ci-release }
                  read: ["/**"]
                  write: ["/api/charts", "/api/charts/**", "/s3/**"]
                - name: developers
                  match: { ou: engineering }
                  read: ["/**"]
                - name: team-a
                  match: { o: Acme, ou: team-a }
                  read: ["/team-a/**"]
                  write: ["/team-a/**", "/api/team-a/*/charts/**"]
                - name: ops-by-subject
                  match: { subject: "CN=*,OU=ops,O=Acme" }
                  write: ["/charts/*.tgz"]
              anonymous: { read: ["/public/**"] }
            """;

    private static Policy policy;
    private static Map<String, ClientIdentity> principals;

    @BeforeAll
    static void compile() throws Exception {
        String yaml = """
                server: { tls: { certFile: a, keyFile: b, clientCaFile: c, clientAuth: optional } }
                routes: [{ name: a, prefix: /, upstream: { type: file, dir: x } }]
                """ + RULES;
        policy = Policy.compile(new ConfigLoader(Map.of()).parse(yaml, null).policy());
        CertificateAuthority ca = CertificateAuthority.create("Test CA", KeyType.EC_P256, Instant.now().plusSeconds(86_400));
        principals = Map.of(
                "ci", identity(ca, CertificateRequest.client("ci-release", 1).withOu("automation")),
                "bob", identity(ca, CertificateRequest.client("bob", 1).withOu("engineering").withO("Acme")),
                "alice", identity(ca, CertificateRequest.client("alice", 1).withOu("team-a").withO("Acme")),
                "carol", identity(ca, CertificateRequest.client("carol", 1).withOu("team-a").withO("Other")),
                "olga", identity(ca, CertificateRequest.client("olga", 1).withOu("ops").withO("Acme")),
                "frank", identity(ca, CertificateRequest.client("frank,OU=engineering", 1).withOu("marketing")),
                "anonymous", ClientIdentity.ANONYMOUS);
    }

    private static ClientIdentity identity(CertificateAuthority ca, CertificateRequest request) {
        return IdentityExtractor.fromCertificate(ca.issue(request).certificate(), ca.certificate());
    }

    private static CanonicalPath path(String p) {
        return ((CanonicalPath.Canonical) CanonicalPath.parse(p)).path();
    }

    @ParameterizedTest(name = "{0} {1} {2} -> {3}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            ci        | GET    | /index.yaml                  | release-bot
            ci        | HEAD   | /charts/a-1.0.0.tgz          | release-bot
            ci        | POST   | /api/charts                  | release-bot
            ci        | DELETE | /api/charts/a/1.0.0          | release-bot
            ci        | PUT    | /s3/stable/a-1.0.0.tgz       | release-bot
            ci        | PUT    | /charts/a-1.0.0.tgz          | -
            ci        | POST   | /api/chartsX                 | -
            bob       | GET    | /index.yaml                  | developers
            bob       | GET    | /team-a/index.yaml           | developers
            bob       | POST   | /api/charts                  | -
            bob       | DELETE | /api/charts/a/1.0.0          | -
            bob       | PATCH  | /charts/a.tgz                | -
            alice     | GET    | /team-a/index.yaml           | team-a
            alice     | PUT    | /team-a/charts/a-1.0.0.tgz   | team-a
            alice     | POST   | /api/team-a/repo/charts      | team-a
            alice     | GET    | /index.yaml                  | -
            alice     | PUT    | /team-b/charts/a.tgz         | -
            carol     | GET    | /team-a/index.yaml           | -
            olga      | PUT    | /charts/a-1.0.0.tgz          | ops-by-subject
            olga      | PUT    | /charts/sub/a-1.0.0.tgz      | -
            olga      | GET    | /charts/a-1.0.0.tgz          | -
            frank     | GET    | /index.yaml                  | -
            anonymous | GET    | /public/index.yaml           | policy.anonymous
            anonymous | GET    | /index.yaml                  | -
            anonymous | PUT    | /public/x.tgz                | -
            """)
    void decisionsFollowTheRulesAndDefaultToDeny(String who, String method, String target, String rule) {
        Access access = Access.ofMethod(method);
        Decision d = policy.decide(principals.get(who), access, path(target));
        assertEquals(rule != null, d.allowed(), d::reason);
        assertEquals(rule, d.rule());
        assertEquals(access, d.access());
    }

    @Test
    void aDenialNamesThePrincipalTheAccessAndThePath() {
        Decision d = policy.decide(principals.get("bob"), Access.WRITE, path("/charts/x.tgz"));
        assertEquals("bob may not write /charts/x.tgz", d.reason());
        assertEquals("anonymous may not read /index.yaml",
                policy.decide(ClientIdentity.ANONYMOUS, Access.READ, path("/index.yaml")).reason());
    }

    @Test
    void explainSaysWhyEachRuleDidOrDidNotApply() {
        List<Policy.RuleVerdict> verdicts = policy.explain(principals.get("bob"), Access.WRITE, path("/api/charts"));
        assertEquals(4, verdicts.size());
        assertEquals("does not apply: cn \"bob\" is not \"ci-release\"", verdicts.get(0).detail());
        assertEquals("applies, but grants no write on /api/charts (write: [])", verdicts.get(1).detail());
        assertFalse(verdicts.get(1).grantsPath());
        assertTrue(verdicts.get(1).appliesToIdentity());
        assertEquals("does not apply: ou [engineering] holds no \"team-a\"", verdicts.get(2).detail());
    }

    @Test
    void methodsOtherThanReadsAndWritesHaveNoAccess() {
        for (String m : new String[] {"OPTIONS", "TRACE", "CONNECT", "PROPFIND", "get", "MKCOL"}) {
            assertEquals(null, Access.ofMethod(m), m);
        }
    }

    @Test
    void unusableMatchValuesAreConfigErrorsWithKeyPaths() throws Exception {
        String yaml = """
                server: { tls: { certFile: a, keyFile: b, clientCaFile: c } }
                routes: [{ name: a, prefix: /, upstream: { type: file, dir: x } }]
                policy:
                  rules:
                    - { name: a, match: { fingerprint: "abc" }, read: [/**] }
                    - { name: b, match: { serial: "zz:01" }, read: [/**] }
                    - { name: c, match: { subject: "not a dn" }, read: [/**] }
                """;
        var config = new ConfigLoader(Map.of()).parse(yaml, null);
        ConfigException e = assertThrows(ConfigException.class, () -> Policy.compile(config.policy()));
        List<String> paths = e.errors().stream().map(ConfigError::keyPath).toList();
        assertEquals(List.of("policy.rules[0].match.fingerprint", "policy.rules[1].match.serial", "policy.rules[2].match.subject"), paths);
    }
}
