package io.chartgate.policy;

/**
 * The policy's answer for one request. Feeds the 403, the access log, metrics and {@code policy explain}.
 * It holds what the answer was about, not a sentence: {@link #reason()} is written only when something asks
 * (a 403, {@code policy explain}), so an allowed request builds no string.
 *
 * @param rule the name of the rule that allowed it, or null when denied
 * @param principal the client's principal, for the sentence of a denial
 */
public record Decision(boolean allowed, Access access, String rule, String principal, CanonicalPath path) {

    /** One human sentence: why it was allowed, or "bob may not write /charts/x.tgz". */
    public String reason() {
        if (!allowed) {
            return principal + " may not " + access.label() + " " + path;
        }
        return Policy.ANONYMOUS_RULE.equals(rule)
                ? "anonymous " + access.label() + " of " + path + " allowed by " + rule
                : access.label() + " of " + path + " allowed by rule " + rule;
    }
}
