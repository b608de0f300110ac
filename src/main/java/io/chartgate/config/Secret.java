package io.chartgate.config;

import java.util.Objects;

/**
 * A configuration value that must never be printed: passwords, tokens, keys. {@link #toString()} hides
 * it, so a record holding one can be logged or shown in an error safely.
 */
public final class Secret {

    private final String value;

    public Secret(String value) {
        this.value = Objects.requireNonNull(value);
    }

    /** The secret itself, for the one place that hands it to a library. */
    public String reveal() {
        return value;
    }

    public char[] chars() {
        return value.toCharArray();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Secret other && other.value.equals(value);
    }

    @Override
    public int hashCode() {
        return value.hashCode();
    }

    @Override
    public String toString() {
        return "****";
    }
}
