package io.chartgate.admin;

import java.time.Duration;
import java.time.Instant;

/**
 * How close an expiry is, as the status page colours it: {@link #DANGER} under 7 days or past, {@link #WARNING}
 * under 30 days, else {@link #OK}. Decided on the exact instant, not on the rounded number of days shown.
 */
public enum ExpiryLevel {
    OK, WARNING, DANGER;

    static final Duration WARNING_BEFORE = Duration.ofDays(30);
    static final Duration DANGER_BEFORE = Duration.ofDays(7);

    public static ExpiryLevel of(Instant at, Instant now) {
        if (at.isBefore(now.plus(DANGER_BEFORE))) {
            return DANGER;
        }
        return at.isBefore(now.plus(WARNING_BEFORE)) ? WARNING : OK;
    }

    /** Whole days from {@code now} to {@code at}, rounded down: negative once past. */
    public static long daysLeft(Instant at, Instant now) {
        return Math.floorDiv(Duration.between(now, at).getSeconds(), 86_400L);
    }

    /** The CSS class of a row at this level (and the {@code level} value of {@code /status.json}). */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
