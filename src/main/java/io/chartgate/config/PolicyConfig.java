package io.chartgate.config;

import java.util.List;

/** The access rules as written; {@code policy.Policy} is their compiled form. */
public record PolicyConfig(List<RuleConfig> rules, Grants anonymous) {

    public static final PolicyConfig EMPTY = new PolicyConfig(List.of(), Grants.NONE);

    public PolicyConfig {
        rules = List.copyOf(rules);
    }

    /** Path globs a principal may read and write. */
    public record Grants(List<String> read, List<String> write) {

        public static final Grants NONE = new Grants(List.of(), List.of());

        public Grants {
            read = List.copyOf(read);
            write = List.copyOf(write);
        }
    }
}
