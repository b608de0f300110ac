package io.chartgate.policy;

import io.chartgate.config.MatchKey;
import io.chartgate.identity.ClientIdentity;
import io.chartgate.identity.DistinguishedName;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code match} of one rule, compiled: every condition must hold. Values are exact, or globs when they
 * hold {@code *}. Multi-valued fields (OU, O, SANs) hold when any value matches. {@code subject} and
 * {@code issuer} are parsed as DNs and compared RDN by RDN, each value exact or glob; {@code sanDns} ignores
 * case; {@code fingerprint}, {@code issuerFingerprint} and {@code serial} are hex compared without case or colons.
 * {@code issuer} and {@code issuerFingerprint} name the configured CA at the root of the verified chain.
 */
public final class IdentityMatcher {

    private final List<Condition> conditions;

    private IdentityMatcher(List<Condition> conditions) {
        this.conditions = List.copyOf(conditions);
    }

    /** One compiled condition. {@link #mismatch} says why the identity fails it, or is empty when it holds. */
    private interface Condition {
        Optional<String> mismatch(ClientIdentity identity);
    }

    /**
     * @throws IllegalArgumentException naming the key whose value cannot be used, e.g. a subject that is not a DN
     */
    public static IdentityMatcher compile(Map<MatchKey, String> match) {
        List<Condition> conditions = new ArrayList<>();
        for (var entry : match.entrySet()) {
            conditions.add(condition(entry.getKey(), entry.getValue()));
        }
        return new IdentityMatcher(conditions);
    }

    /** Why {@code identity} does not match, or empty when every condition holds. */
    public Optional<String> mismatch(ClientIdentity identity) {
        if (identity.isAnonymous()) {
            return Optional.of("no client certificate");
        }
        for (Condition c : conditions) {
            Optional<String> why = c.mismatch(identity);
            if (why.isPresent()) {
                return why;
            }
        }
        return Optional.empty();
    }

    public boolean matches(ClientIdentity identity) {
        return mismatch(identity).isEmpty();
    }

    private static Condition condition(MatchKey key, String value) {
        String name = key.yamlName();
        return switch (key) {
            case CN -> id -> id.cn() != null && matchText(value, id.cn(), false)
                    ? Optional.empty()
                    : Optional.of(id.cn() == null ? "the certificate has no CN" : "cn \"" + id.cn() + "\" is not \"" + value + "\"");
            case OU -> anyOf(name, value, ClientIdentity::ou, false);
            case O -> anyOf(name, value, ClientIdentity::o, false);
            case SAN_DNS -> anyOf(name, value, ClientIdentity::sanDns, true);
            case SAN_URI -> anyOf(name, value, ClientIdentity::sanUri, false);
            case SAN_EMAIL -> anyOf(name, value, ClientIdentity::sanEmail, false);
            case FINGERPRINT -> {
                String want = hex(value, name, 64);
                yield id -> want.equals(id.fingerprint())
                        ? Optional.empty() : Optional.of("fingerprint " + id.fingerprint() + " is not " + want);
            }
            case SERIAL -> {
                String want = hex(value, name, 0).replaceFirst("^0+(?=.)", "");
                yield id -> want.equals(id.serial())
                        ? Optional.empty() : Optional.of("serial " + id.serial() + " is not " + want);
            }
            case ISSUER_FINGERPRINT -> {
                String want = hex(value, name, 64);
                yield id -> want.equals(id.issuerFingerprint())
                        ? Optional.empty()
                        : Optional.of("the issuing CA's fingerprint " + id.issuerFingerprint() + " is not " + want);
            }
            case SUBJECT -> dn(name, value, ClientIdentity::subject);
            case ISSUER -> dn(name, value, ClientIdentity::issuer);
        };
    }

    private static Condition anyOf(String name, String value, java.util.function.Function<ClientIdentity, List<String>> field,
            boolean ignoreCase) {
        return id -> {
            List<String> values = field.apply(id);
            for (String v : values) {
                if (matchText(value, v, ignoreCase)) {
                    return Optional.empty();
                }
            }
            return Optional.of(values.isEmpty()
                    ? "the certificate has no " + name
                    : name + " " + values + " holds no \"" + value + "\"");
        };
    }

    private static Condition dn(String name, String value, java.util.function.Function<ClientIdentity, DistinguishedName> field) {
        DistinguishedName want;
        try {
            want = DistinguishedName.parse(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("\"" + value + "\" is " + e.getMessage()
                    + " (expected RFC 4514, e.g. CN=bob,OU=engineering,O=Acme)");
        }
        return id -> {
            DistinguishedName have = field.apply(id);
            return dnMatches(want, have)
                    ? Optional.empty()
                    : Optional.of(name + " \"" + have.rfc4514() + "\" is not \"" + value + "\"");
        };
    }

    private static boolean dnMatches(DistinguishedName want, DistinguishedName have) {
        if (want.rdns().size() != have.rdns().size()) {
            return false;
        }
        for (int i = 0; i < want.rdns().size(); i++) {
            List<DistinguishedName.Attribute> w = want.rdns().get(i).attributes();
            List<DistinguishedName.Attribute> h = have.rdns().get(i).attributes();
            if (w.size() != h.size()) {
                return false;
            }
            for (int j = 0; j < w.size(); j++) {
                if (!w.get(j).oid().equals(h.get(j).oid()) || !matchText(w.get(j).value(), h.get(j).value(), false)) {
                    return false;
                }
            }
        }
        return true;
    }

    private static boolean matchText(String pattern, String text, boolean ignoreCase) {
        if (ignoreCase) {
            pattern = pattern.toLowerCase(Locale.ROOT);
            text = text.toLowerCase(Locale.ROOT);
        }
        return Wildcard.isGlob(pattern) ? Wildcard.matches(pattern, text) : pattern.equals(text);
    }

    private static String hex(String value, String name, int length) {
        String h = value.replace(":", "").toLowerCase(Locale.ROOT);
        if (!h.matches("[0-9a-f]+") || (length > 0 && h.length() != length)) {
            throw new IllegalArgumentException("\"" + value + "\" is not a " + (length > 0 ? length + "-digit " : "")
                    + "hex " + name + " (colons and case do not matter; globs are not allowed here)");
        }
        return h;
    }
}
