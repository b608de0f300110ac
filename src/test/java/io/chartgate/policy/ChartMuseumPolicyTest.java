package io.chartgate.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.chartgate.config.ConfigLoader;
import io.chartgate.identity.ClientIdentity;
import io.chartgate.identity.IdentityExtractor;
import io.chartgate.tls.CertificateAuthority;
import io.chartgate.tls.CertificateRequest;
import io.chartgate.tls.KeyType;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The shipped ChartMuseum example's tenant rules against ChartMuseum's real routes. */
class ChartMuseumPolicyTest {

    private static Policy policy;
    private static Map<String, ClientIdentity> who;

    @BeforeAll
    static void load() throws Exception {
        policy = Policy.compile(new ConfigLoader(Map.of("CM_PASSWORD", "x"))
                .load(Path.of("conf/examples/chartmuseum.yaml")).policy());
        CertificateAuthority ca = CertificateAuthority.create("CA", KeyType.EC_P256, Instant.now().plusSeconds(3600));
        who = Map.of(
                "ci-a", id(ca, CertificateRequest.client("ci-a", 1).withOu("team-a")),
                "alice", id(ca, CertificateRequest.client("alice", 1).withOu("team-a")),
                "bob", id(ca, CertificateRequest.client("bob", 1).withOu("team-b")),
                "ci-platform", id(ca, CertificateRequest.client("ci-platform", 1).withOu("platform")),
                "prometheus", id(ca, CertificateRequest.client("prometheus", 1).withO("Acme")));
    }

    private static ClientIdentity id(CertificateAuthority ca, CertificateRequest request) {
        return IdentityExtractor.fromCertificate(ca.issue(request).certificate(), ca.certificate());
    }

    @ParameterizedTest(name = "{0} {1} {2} -> {3}")
    @CsvSource(delimiter = '|', textBlock = """
            alice       | GET    | /team-a/apps/index.yaml              | true
            alice       | GET    | /team-a/apps/charts/web-1.0.0.tgz    | true
            alice       | GET    | /team-a/apps/charts/web-1.0.0.tgz.prov | true
            alice       | GET    | /api/team-a/apps/charts/web/1.0.0    | true
            alice       | GET    | /shared/base/index.yaml              | true
            alice       | GET    | /team-b/apps/index.yaml              | false
            alice       | POST   | /api/team-a/apps/charts              | false
            ci-a        | POST   | /api/team-a/apps/charts              | true
            ci-a        | POST   | /api/team-a/apps/prov                | true
            ci-a        | DELETE | /api/team-a/apps/charts/web/1.0.0    | true
            ci-a        | POST   | /api/team-b/apps/charts              | false
            ci-a        | POST   | /api/shared/base/charts              | false
            bob         | GET    | /team-a/apps/index.yaml              | false
            bob         | GET    | /shared/base/charts/lib-1.0.0.tgz    | true
            ci-platform | POST   | /api/shared/base/charts              | true
            ci-platform | DELETE | /api/team-a/apps/charts/web/1.0.0    | false
            prometheus  | GET    | /health                              | true
            prometheus  | GET    | /team-a/apps/index.yaml              | false
            """)
    void tenantsReadAndWriteOnlyTheirOwnRepositories(String principal, String method, String path, boolean allowed) {
        Decision d = policy.decide(who.get(principal), Access.ofMethod(method),
                ((CanonicalPath.Canonical) CanonicalPath.parse(path)).path());
        assertEquals(allowed, d.allowed(), d::reason);
    }
}
