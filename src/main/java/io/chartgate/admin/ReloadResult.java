package io.chartgate.admin;

import java.util.List;

/**
 * What a reload did: the errors that kept the old configuration in force (none when the new one is in force),
 * and the changed settings it could not apply live, which wait for a restart (the listener's address and
 * limits, the admin port, the watch interval, the metrics' principal cap).
 */
public record ReloadResult(List<String> errors, List<String> restartRequired) {

    public ReloadResult {
        errors = List.copyOf(errors);
        restartRequired = List.copyOf(restartRequired);
    }

    public static ReloadResult failure(List<String> errors) {
        return new ReloadResult(errors, List.of());
    }

    public boolean succeeded() {
        return errors.isEmpty();
    }
}
