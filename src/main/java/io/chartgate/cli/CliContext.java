package io.chartgate.cli;

import java.util.Map;

/** What commands take from the process: the environment (so tests can pass their own). */
public record CliContext(Map<String, String> env) {

    public CliContext {
        env = Map.copyOf(env);
    }
}
