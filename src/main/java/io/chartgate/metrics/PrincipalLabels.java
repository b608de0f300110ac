package io.chartgate.metrics;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Bounds the {@code principal} label: the first {@code max} distinct principals keep their own value, every
 * later one is {@code other}. Certificates are issued by a trusted CA, but a label set must never grow with
 * what clients present.
 */
final class PrincipalLabels {

    private final int max;
    private final Set<String> seen = ConcurrentHashMap.newKeySet();

    PrincipalLabels(int max) {
        this.max = max;
    }

    String label(String principal) {
        if (seen.contains(principal)) {
            return principal;
        }
        synchronized (seen) {
            if (seen.size() < max) {
                seen.add(principal);
                return principal;
            }
        }
        return MetricNames.OTHER;
    }
}
