package io.chartgate.policy;

import java.util.Locale;

/** What a request does to the repository, decided by its method alone. */
public enum Access {
    READ,
    WRITE;

    private final String label = name().toLowerCase(Locale.ROOT);

    /** READ for GET and HEAD, WRITE for POST, PUT, PATCH and DELETE, null for every other method (405). */
    public static Access ofMethod(String method) {
        return switch (method) {
            case "GET", "HEAD" -> READ;
            case "POST", "PUT", "PATCH", "DELETE" -> WRITE;
            default -> null;
        };
    }

    /** "read" or "write", as logs, metrics and messages spell it. */
    public String label() {
        return label;
    }
}
