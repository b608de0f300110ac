package io.chartgate.cli;

import io.chartgate.config.ClientAuth;
import io.chartgate.config.ConfigException;
import io.chartgate.config.ConfigLoader;
import io.chartgate.config.GatewayConfig;
import io.chartgate.config.RouteConfig;
import io.chartgate.decision.Ask;
import io.chartgate.decision.Framing;
import io.chartgate.decision.Ground;
import io.chartgate.decision.RequestDecision;
import io.chartgate.decision.Trail;
import io.chartgate.decision.Verdict;
import io.chartgate.identity.ClientIdentity;
import io.chartgate.identity.IdentityExtractor;
import io.chartgate.policy.Access;
import io.chartgate.policy.OciRequest;
import io.chartgate.policy.Policy;
import io.chartgate.tls.ClientTrust;
import io.chartgate.tls.PemLoader;
import io.chartgate.tls.TlsException;
import io.chartgate.tls.TlsMaterial;
import io.chartgate.upstream.Router;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code chartgate policy explain}: what the gateway would decide for a certificate, method and path, step by
 * step as a request goes (trust, canonical path, route, access, policy), and why. Exit 0 when allowed,
 * 1 when refused at any step, 2 on bad input (an unusable configuration or certificate file).
 */
@Command(name = "explain", mixinStandardHelpOptions = true,
        description = "Explain the decision for a client certificate, method and path.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:allowed", "1:denied (or refused before the policy: TLS, path, route, method)",
            "2:bad input (configuration or certificate unusable)"})
final class PolicyExplainCommand implements Callable<Integer> {

    private static final int ALLOWED = 0;
    private static final int DENIED = 1;
    private static final int BAD_INPUT = 2;

    private final CliContext context;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", required = true, description = "The configuration file.")
    Path config;

    @Option(names = "--cert", paramLabel = "PEM", description = "The client certificate (PEM; the first one is used). "
            + "Without it the request is anonymous.")
    Path cert;

    @Option(names = {"-X", "--method"}, paramLabel = "METHOD", defaultValue = "GET",
            description = "The HTTP method (default: ${DEFAULT-VALUE}).")
    String method;

    @Option(names = "--path", paramLabel = "TARGET", required = true,
            description = "The request target as sent, e.g. /api/charts or /charts/x.tgz?y=1.")
    String path;

    PolicyExplainCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        GatewayConfig loaded;
        Policy policy;
        try {
            loaded = new ConfigLoader(context.env()).load(config);
            policy = Policy.compile(loaded.policy());
        } catch (ConfigException e) {
            ConfigCheckCommand.printErrors(err, config, e);
            return BAD_INPUT;
        }
        if (!method.matches("[A-Za-z]+")) {
            err.println("chartgate: \"" + method + "\" is not an HTTP method");
            return BAD_INPUT;
        }
        String httpMethod = method.toUpperCase(java.util.Locale.ROOT);
        Instant now = Instant.now();
        ClientIdentity identity = ClientIdentity.ANONYMOUS;
        ClientTrust trust = null;
        ClientTrust.Verification verification = null;
        String refusal = null;
        if (cert != null) {
            List<X509Certificate> sent;
            try {
                sent = PemLoader.certificates(cert);
            } catch (TlsException e) {
                err.println("chartgate: " + e.getMessage());
                return BAD_INPUT;
            }
            String untrusted = null;
            try {
                trust = TlsMaterial.clientTrust(loaded.server().tls(), now);
                verification = trust.verify(sent, now);
            } catch (ConfigException e) {
                untrusted = "not checked (" + e.getMessage() + ")";
            }
            ClientTrust.VerifiedChain chain = verification == null ? null : verification.chain();
            identity = IdentityExtractor.fromCertificate(sent.get(0), chain == null ? null : chain.anchor());
            printIdentity(out, identity);
            if (untrusted != null) {
                row(out, "trust", untrusted);
            } else if (chain == null) {
                row(out, "trust", verification.refusal().message());
                refusal = "refused in the TLS handshake: " + verification.refusal().message();
            } else {
                row(out, "trust", describe(chain));
            }
        } else {
            out.println("identity     anonymous (no certificate)");
            if (loaded.server().tls().clientAuth() == ClientAuth.REQUIRED) {
                refusal = "refused in the TLS handshake: clientAuth is required and no certificate was given";
            }
        }

        out.println("request");
        row(out, "method", httpMethod);
        row(out, "target", path);
        if (refusal != null) {
            return decide(out, refusal);
        }
        // the handshake let the certificate in; the request is decided as the gateway decides it, CRLs rechecked
        Ground ground = new Ground(new Router(loaded.routes()), policy, trust,
                loaded.server().tls().clientAuth() == ClientAuth.OPTIONAL, loaded.server().limits().maxBodyBytes());
        Verdict verdict = RequestDecision.decide(new Ask(identity, verification, httpMethod, path, Framing.NONE, now), ground);
        printTrail(out, policy, identity, verdict.trail());
        if (verdict instanceof Verdict.Refused refused) {
            return decide(out, refused.error().status() + " " + refused.code() + ": " + refused.message());
        }
        OciRequest oci = verdict.trail().registryRequest();
        if (oci != null && answersAnyCaller(oci)) {
            out.println("decision     ALLOWED: " + switch (oci.endpoint()) {
                case PING -> "/v2/ answers any authenticated caller";
                case CATALOG -> "the gateway answers the catalog itself, listing only the repositories this caller may pull";
                default -> "the index made from the registry answers any authenticated caller and lists only the "
                        + "repositories" + (oci.repository() == null ? "" : " under " + oci.repository()) + " it may pull";
            });
            return ALLOWED;
        }
        out.println("decision     ALLOWED by rule " + verdict.trail().decision().rule());
        return ALLOWED;
    }

    /** {@code /v2/}, the catalog and the index: no rule decides them, being authenticated does. */
    private static boolean answersAnyCaller(OciRequest oci) {
        return oci.endpoint() == OciRequest.Endpoint.PING || oci.endpoint() == OciRequest.Endpoint.CATALOG
                || oci.endpoint() == OciRequest.Endpoint.INDEX;
    }

    /** Each step the request got through, as the gateway took it. */
    private static void printTrail(PrintWriter out, Policy policy, ClientIdentity identity, Trail trail) {
        if (trail.path() == null) {
            return;
        }
        row(out, "canonical", trail.path().path());
        RouteConfig route = trail.route();
        if (route == null) {
            return;
        }
        row(out, "route", route.name() + " (prefix " + route.prefix() + ", " + route.upstream().type()
                + " upstream, path " + (trail.oci() ? trail.path().path() : Router.remainder(route, trail.path().path())) + ")");
        OciRequest oci = trail.registryRequest();
        if (oci != null) {
            row(out, "endpoint", oci.endpoint().name().toLowerCase(java.util.Locale.ROOT));
        }
        if (trail.access() == null) {
            return;
        }
        List<Policy.RuleVerdict> verdicts;
        if (oci == null) {
            row(out, "access", trail.access().label());
            verdicts = policy.explain(identity, trail.access(), trail.path());
        } else if (!answersAnyCaller(oci)) {
            row(out, "repository", oci.repository() + " (policy path " + oci.policyPath() + ")");
            row(out, "access", oci.access().label()
                    + (oci.access() == Access.READ ? " (a write grant on the repository also allows it)" : ""));
            verdicts = new java.util.ArrayList<>(policy.explain(identity, oci.access(), oci.policyPath()));
            if (oci.access() == Access.READ) {
                verdicts.addAll(policy.explain(identity, Access.WRITE, oci.policyPath()));
            }
        } else {
            row(out, "access", trail.access().label());
            verdicts = null;
        }
        if (trail.decision() == null) {
            return;
        }
        if (verdicts != null) {
            out.println("rules");
            if (verdicts.isEmpty()) {
                out.println("  (none: the policy has no rules, so everything is denied)");
            }
            int width = verdicts.stream().mapToInt(v -> v.rule().length()).max().orElse(0);
            for (Policy.RuleVerdict v : verdicts) {
                out.printf("  %-" + width + "s  %s%n", v.rule(), v.detail());
            }
        }
        if (oci == null && trail.access() == Access.READ && route.upstream().index().filter()) {
            // filterIndex lists a chart version when its chart URL's gateway path is readable: this very decision
            row(out, "index", trail.decision().allowed()
                    ? "a chart at this path appears in this caller's index.yaml (filterIndex)"
                    : "a chart at this path is left out of this caller's index.yaml (filterIndex)");
        }
        OciRequest.Mount mount = trail.mount();
        if (mount != null) {
            row(out, "mount", trail.mountKept() ? "kept: the caller may pull from " + String.join(", ", mount.sources())
                    : "dropped: the caller may not pull from " + (mount.sources().isEmpty() ? "an unnamed source"
                            : String.join(", ", mount.sources())) + " (the upload starts empty)");
        }
    }

    private static int decide(PrintWriter out, String why) {
        out.println("decision     DENIED: " + why);
        return DENIED;
    }

    /** The verified path, leaf to anchor. */
    private static String describe(ClientTrust.VerifiedChain chain) {
        StringBuilder text = new StringBuilder("chains to ");
        text.append(chain.anchor().getSubjectX500Principal().getName());
        for (int i = chain.path().size() - 1; i >= 1; i--) {
            text.append(" via ").append(chain.path().get(i).getSubjectX500Principal().getName());
        }
        return text.append(" (dates and CRLs checked)").toString();
    }

    private static void printIdentity(PrintWriter out, ClientIdentity id) {
        out.println("identity");
        row(out, "subject", id.subject().rfc4514());
        row(out, "cn", id.cn() == null ? "-" : id.cn());
        row(out, "ou", list(id.ou()));
        row(out, "o", list(id.o()));
        row(out, "san dns", list(id.sanDns()));
        row(out, "san uri", list(id.sanUri()));
        row(out, "san email", list(id.sanEmail()));
        row(out, "san ip", list(id.sanIp()));
        row(out, "fingerprint", id.fingerprint());
        row(out, "issuer", id.issuerFingerprint() == null ? "- (no trusted CA)" : id.issuer().rfc4514());
        row(out, "issuer sha256", id.issuerFingerprint() == null ? "-" : id.issuerFingerprint());
        row(out, "serial", id.serial());
        row(out, "not after", String.valueOf(id.notAfter()));
    }

    private static String list(List<String> values) {
        return values.isEmpty() ? "-" : String.join(", ", values);
    }

    private static void row(PrintWriter out, String name, String value) {
        out.printf("  %-11s  %s%n", name, value);
    }
}
