package io.chartgate.server;

import io.chartgate.config.ConfigError;
import io.chartgate.config.ConfigException;
import io.chartgate.config.FileUpstreamConfig;
import io.chartgate.config.GatewayConfig;
import io.chartgate.config.HttpUpstreamConfig;
import io.chartgate.config.MatchKey;
import io.chartgate.config.RouteConfig;
import io.chartgate.config.RuleConfig;
import io.chartgate.helm.Provenance;
import io.chartgate.identity.IdentityExtractor;
import io.chartgate.policy.Policy;
import io.chartgate.policy.IdentityMatcher;
import io.chartgate.tls.ClientTrust;
import io.chartgate.tls.PemLoader;
import io.chartgate.tls.TlsException;
import io.chartgate.tls.TlsMaterial;
import io.chartgate.upstream.Router;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bouncycastle.openpgp.PGPPublicKeyRingCollection;

/**
 * A configuration with everything it names loaded and compiled: the policy, the TLS material and the client
 * trust made of it, the router. Built whole or not at all, so start-up, reload and {@code config check} share one
 * validator and a bad file never half-applies. {@code warnings} are what does not stop it (the TLS material's,
 * and rules that do not say which of several trusted CAs they mean).
 */
public record CompiledConfig(GatewayConfig config, Policy policy, TlsMaterial tls, ClientTrust trust, Router router,
        Map<String, PGPPublicKeyRingCollection> keyrings, List<String> warnings) {

    public CompiledConfig {
        keyrings = Map.copyOf(keyrings);
        warnings = List.copyOf(warnings);
    }

    /** Compiles {@code config}, collecting the problems of every stage before failing. */
    public static CompiledConfig compile(GatewayConfig config, Instant now) throws ConfigException {
        List<ConfigError> errors = new ArrayList<>();
        Policy policy = null;
        TlsMaterial tls = null;
        try {
            policy = Policy.compile(config.policy());
        } catch (ConfigException e) {
            errors.addAll(e.errors());
        }
        try {
            tls = TlsMaterial.load(config.server().tls(), now);
        } catch (ConfigException e) {
            errors.addAll(e.errors());
        }
        Map<String, PGPPublicKeyRingCollection> keyrings = new HashMap<>();
        for (int i = 0; i < config.routes().size(); i++) {
            RouteConfig route = config.routes().get(i);
            String path = "routes[" + i + "].upstream.";
            Path keyring = route.upstream().provenanceKeyring();
            if (keyring != null) {
                try {
                    keyrings.put(route.name(), Provenance.keyring(keyring));
                } catch (java.io.IOException e) {
                    errors.add(new ConfigError(path + "requireProvenance.keyring", keyring + ": " + e.getMessage()));
                }
            }
            if (route.upstream() instanceof FileUpstreamConfig file && !Files.isDirectory(file.dir())) {
                errors.add(new ConfigError(path + "dir", file.dir() + ": not a directory"));
            } else if (route.upstream() instanceof HttpUpstreamConfig http && http.caFile() != null) {
                try {
                    PemLoader.certificates(http.caFile());
                } catch (TlsException e) {
                    errors.add(new ConfigError(path + "caFile", e.getMessage()));
                }
            } else if (route.upstream() instanceof io.chartgate.config.OciUpstreamConfig oci && oci.caFile() != null) {
                try {
                    PemLoader.certificates(oci.caFile());
                } catch (TlsException e) {
                    errors.add(new ConfigError(path + "caFile", e.getMessage()));
                }
            }
        }
        if (!errors.isEmpty()) {
            throw new ConfigException(errors);
        }
        List<String> warnings = new ArrayList<>(tls.warnings());
        warnings.addAll(issuerWarnings(config, tls));
        return new CompiledConfig(config, policy, tls, ClientTrust.of(tls, config.server().tls().crlStale()),
                new Router(config.routes()), keyrings, warnings);
    }

    /**
     * With two or more trusted CAs a rule that names no issuer admits certificates of every one of them; a rule
     * whose issuer names no trusted CA admits none (an intermediate's name never satisfies it).
     */
    static List<String> issuerWarnings(GatewayConfig config, TlsMaterial tls) {
        List<String> warnings = new ArrayList<>();
        List<RuleConfig> rules = config.policy().rules();
        for (int i = 0; i < rules.size(); i++) {
            RuleConfig rule = rules.get(i);
            String where = "policy.rules[" + i + "] (" + rule.name() + ")";
            if (!rule.match().containsKey(MatchKey.ISSUER) && !rule.match().containsKey(MatchKey.ISSUER_FINGERPRINT)
                    && tls.clientCas().size() > 1) {
                warnings.add(where + " names no issuer, so certificates from any of the " + tls.clientCas().size()
                        + " trusted client CAs match it (add match.issuer or match.issuerFingerprint)");
            }
            for (MatchKey key : List.of(MatchKey.ISSUER, MatchKey.ISSUER_FINGERPRINT)) {
                String value = rule.match().get(key);
                if (value != null && tls.clientCas().stream().noneMatch(ca -> names(key, value, ca))) {
                    warnings.add(where + ": " + key.yamlName() + " \"" + value + "\" names no CA in clientCaFile, so no "
                            + "certificate matches (it names the CA at the root of the chain, never an intermediate)");
                }
            }
        }
        return warnings;
    }

    /** Whether the {@code key: value} condition holds for a certificate issued by {@code ca}. */
    private static boolean names(MatchKey key, String value, X509Certificate ca) {
        try {
            return IdentityMatcher.compile(Map.of(key, value)).matches(IdentityExtractor.fromCertificate(ca, ca));
        } catch (IllegalArgumentException e) {
            return true; // the policy reports a value it cannot use
        }
    }
}
