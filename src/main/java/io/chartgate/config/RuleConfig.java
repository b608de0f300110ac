package io.chartgate.config;

import java.util.Map;

/**
 * One policy rule as written: every {@code match} entry must hold (key: a {@link MatchKey}'s YAML name,
 * value: exact or glob) for the rule to grant {@code grants}.
 */
public record RuleConfig(String name, Map<MatchKey, String> match, PolicyConfig.Grants grants) {

    public RuleConfig {
        match = Map.copyOf(match);
    }
}
