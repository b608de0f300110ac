package io.chartgate.policy;

import io.chartgate.config.ConfigError;
import io.chartgate.config.ConfigException;
import io.chartgate.config.MatchKey;
import io.chartgate.config.PolicyConfig;
import io.chartgate.config.RuleConfig;
import io.chartgate.identity.ClientIdentity;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Who may read or write what: the union of the rules, default deny. A pure function of identity, access
 * and canonical path; immutable, so a reload swaps in a new one. Anonymous clients (only possible with
 * {@code clientAuth: optional}) get {@code policy.anonymous}'s grants and no rule's.
 */
public final class Policy {

    /** The rule name decisions carry when {@code policy.anonymous} allowed the request. */
    public static final String ANONYMOUS_RULE = "policy.anonymous";

    private final List<Rule> rules;
    private final Rule anonymous;

    private Policy(List<Rule> rules, Rule anonymous) {
        this.rules = List.copyOf(rules);
        this.anonymous = anonymous;
    }

    /** Compiles the rules; every unusable value is reported with its key path. */
    public static Policy compile(PolicyConfig config) throws ConfigException {
        List<ConfigError> errors = new ArrayList<>();
        List<Rule> rules = new ArrayList<>();
        for (int i = 0; i < config.rules().size(); i++) {
            RuleConfig rc = config.rules().get(i);
            String path = "policy.rules[" + i + "].match.";
            IdentityMatcher matcher = null;
            boolean ok = true;
            for (Map.Entry<MatchKey, String> entry : rc.match().entrySet()) {
                try {
                    IdentityMatcher.compile(Map.of(entry.getKey(), entry.getValue()));
                } catch (IllegalArgumentException e) {
                    errors.add(new ConfigError(path + entry.getKey().yamlName(), e.getMessage()));
                    ok = false;
                }
            }
            if (ok) {
                matcher = IdentityMatcher.compile(rc.match());
            }
            rules.add(new Rule(rc.name(), matcher, globs(rc.grants().read()), globs(rc.grants().write())));
        }
        if (!errors.isEmpty()) {
            throw new ConfigException(errors);
        }
        Rule anonymous = new Rule(ANONYMOUS_RULE, IdentityMatcher.compile(Map.of()),
                globs(config.anonymous().read()), globs(config.anonymous().write()));
        return new Policy(rules, anonymous);
    }

    /** Allowed when a rule that applies to {@code identity} grants {@code access} on {@code path}. */
    public Decision decide(ClientIdentity identity, Access access, CanonicalPath path) {
        if (identity.isAnonymous()) {
            return anonymous.grants(access, path)
                    ? new Decision(true, access, ANONYMOUS_RULE, identity.principal(), path)
                    : denied(identity, access, path);
        }
        for (Rule rule : rules) {
            if (rule.grants(access, path) && rule.appliesTo(identity)) {
                return new Decision(true, access, rule.name(), identity.principal(), path);
            }
        }
        return denied(identity, access, path);
    }

    /**
     * An OCI request, decided on its repository ({@code /v2/<name>}): a read is allowed by a READ or a WRITE grant
     * (every push first asks what is there, with HEADs and GETs of the same repository), a write by a WRITE grant.
     * The ping and the catalog carry no repository and are not decided here.
     */
    public Decision decide(ClientIdentity identity, OciRequest request) {
        CanonicalPath repository = request.policyPath();
        Decision decision = decide(identity, request.access(), repository);
        if (decision.allowed() || request.access() != Access.READ) {
            return decision;
        }
        Decision write = decide(identity, Access.WRITE, repository);
        return write.allowed() ? new Decision(true, Access.READ, write.rule(), identity.principal(), repository) : decision;
    }

    /** Whether {@code identity} may pull from repository {@code name} (READ, or WRITE which implies it). */
    public boolean mayPull(ClientIdentity identity, String name) {
        return OciRequest.isName(name) && decide(identity, new OciRequest(OciRequest.Endpoint.BLOB, name, Access.READ)).allowed();
    }

    /**
     * The rules that apply to {@code identity}. Two callers with equal grants get equal decisions on every path,
     * so a view made for one (an index filtered by what it may read) serves the other.
     */
    public Grants grants(ClientIdentity identity) {
        if (identity.isAnonymous()) {
            return new Grants(ANONYMOUS_RULE, List.of(anonymous));
        }
        List<Rule> applying = new ArrayList<>();
        StringBuilder key = new StringBuilder("rules:");
        for (int i = 0; i < rules.size(); i++) {
            if (rules.get(i).appliesTo(identity)) {
                applying.add(rules.get(i));
                key.append(i).append(',');
            }
        }
        return new Grants(key.toString(), applying);
    }

    /** What the rules that apply to one caller grant; {@code key} is equal for equal grants. */
    public record Grants(String key, List<Rule> rules) {

        public Grants {
            rules = List.copyOf(rules);
        }

        public boolean allows(Access access, CanonicalPath path) {
            for (Rule rule : rules) {
                if (rule.grants(access, path)) {
                    return true;
                }
            }
            return false;
        }
    }

    private static Decision denied(ClientIdentity identity, Access access, CanonicalPath path) {
        return new Decision(false, access, null, identity.principal(), path);
    }

    /** For {@code policy explain}: what one rule made of this request. */
    public record RuleVerdict(String rule, boolean appliesToIdentity, boolean grantsPath, String detail) {
    }

    /** Every rule's verdict on the request, in order, with the reason it did or did not allow it. */
    public List<RuleVerdict> explain(ClientIdentity identity, Access access, CanonicalPath path) {
        List<RuleVerdict> verdicts = new ArrayList<>();
        if (identity.isAnonymous()) {
            boolean grants = anonymous.grants(access, path);
            verdicts.add(new RuleVerdict(ANONYMOUS_RULE, true, grants, grants
                    ? "grants " + access.label() + " on " + path
                    : "grants no " + access.label() + " on " + path + " (" + access.label() + ": " + anonymous.globs(access) + ")"));
            return verdicts;
        }
        for (Rule rule : rules) {
            Optional<String> mismatch = rule.matcher().mismatch(identity);
            boolean grants = rule.grants(access, path);
            String detail;
            if (mismatch.isPresent()) {
                detail = "does not apply: " + mismatch.get();
            } else if (grants) {
                detail = "applies and grants " + access.label() + " on " + path;
            } else {
                detail = "applies, but grants no " + access.label() + " on " + path + " (" + access.label() + ": "
                        + rule.globs(access) + ")";
            }
            verdicts.add(new RuleVerdict(rule.name(), mismatch.isEmpty(), grants, detail));
        }
        return verdicts;
    }

    public List<Rule> rules() {
        return rules;
    }

    private static List<PathGlob> globs(List<String> patterns) {
        return patterns.stream().map(PathGlob::compile).toList();
    }
}
