package io.chartgate.policy;

/**
 * The policy's answer for one request. Feeds the 403, the access log, metrics and {@code policy explain}.
 *
 * @param rule the name of the rule that allowed it, or null when denied
 * @param reason one human sentence: why it was allowed, or "bob may not write /charts/x.tgz"
 */
public record Decision(boolean allowed, Access access, String rule, String reason) {
}
