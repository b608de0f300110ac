package io.chartgate.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A place in the YAML tree together with its key path. Every read that finds a problem records a
 * {@link ConfigError} at this path and returns a usable stand-in, so one pass over a file reports every
 * mistake in it.
 */
final class ConfigNode {

    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(|k|Ki|M|Mi|G|Gi|T|Ti)");

    private final JsonNode json;
    private final String path;
    private final List<ConfigError> errors;
    private final Path baseDir;

    private ConfigNode(JsonNode json, String path, List<ConfigError> errors, Path baseDir) {
        this.json = json;
        this.path = path;
        this.errors = errors;
        this.baseDir = baseDir;
    }

    static ConfigNode root(JsonNode json, List<ConfigError> errors, Path baseDir) {
        return new ConfigNode(json, "", errors, baseDir);
    }

    String path() {
        return path;
    }

    void error(String message) {
        errors.add(new ConfigError(path, message));
    }

    boolean isMissing() {
        return json == null || json.isNull() || json.isMissingNode();
    }

    ConfigNode get(String key) {
        JsonNode child = json != null && json.isObject() ? json.get(key) : null;
        return new ConfigNode(child, path.isEmpty() ? key : path + "." + key, errors, baseDir);
    }

    /** True when this is a mapping; records an error when it is something else. Missing is not an error. */
    boolean isMapping() {
        if (isMissing()) {
            return false;
        }
        if (!json.isObject()) {
            error("expected a mapping (key: value), found " + describe());
            return false;
        }
        return true;
    }

    /** Records an error for every key outside {@code allowed}, with a "did you mean" hint when one is close. */
    void allowOnly(String... allowed) {
        if (isMissing() || !json.isObject()) {
            return;
        }
        Set<String> keys = Set.of(allowed);
        Iterator<String> names = json.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            if (!keys.contains(name)) {
                String hint = Suggestions.closest(name, Arrays.asList(allowed))
                        .map(s -> " (did you mean \"" + s + "\"?)")
                        .orElse(" (expected one of " + String.join(", ", allowed) + ")");
                get(name).error("unknown key" + hint);
            }
        }
    }

    List<String> fieldNames() {
        List<String> names = new ArrayList<>();
        if (!isMissing() && json.isObject()) {
            json.fieldNames().forEachRemaining(names::add);
        }
        return names;
    }

    /** The elements of a list; a missing list is empty (and an error when {@code required}). */
    List<ConfigNode> list(boolean required) {
        if (isMissing()) {
            if (required) {
                error("required (expected a list)");
            }
            return List.of();
        }
        if (!json.isArray()) {
            error("expected a list, found " + describe());
            return List.of();
        }
        List<ConfigNode> items = new ArrayList<>();
        for (int i = 0; i < json.size(); i++) {
            items.add(new ConfigNode(json.get(i), path + "[" + i + "]", errors, baseDir));
        }
        return items;
    }

    String string(String fallback) {
        if (isMissing()) {
            return fallback;
        }
        if (!json.isValueNode()) {
            error("expected a text value, found " + describe());
            return fallback;
        }
        return json.asText();
    }

    String requiredString(String expected) {
        String s = string(null);
        if (s == null) {
            if (isMissing()) {
                error("required (expected " + expected + ")");
            }
            return null;
        }
        if (s.isBlank()) {
            error("must not be empty (expected " + expected + ")");
            return null;
        }
        return s;
    }

    Secret secret() {
        if (isMissing()) {
            return null;
        }
        if (!json.isValueNode()) {
            error("expected a text value, found " + describe());
            return null;
        }
        return new Secret(json.asText());
    }

    int integer(int fallback, int min, int max) {
        long v = number(fallback, min, max);
        return (int) v;
    }

    private long number(long fallback, long min, long max) {
        if (isMissing()) {
            return fallback;
        }
        long value;
        if (json.isIntegralNumber() && json.canConvertToLong()) {
            value = json.asLong();
        } else if (json.isTextual() && json.asText().trim().matches("-?\\d{1,18}")) {
            value = Long.parseLong(json.asText().trim());
        } else {
            error(describeValue() + " is not a whole number");
            return fallback;
        }
        if (value < min || value > max) {
            error(value + " is out of range (expected " + min + " to " + max + ")");
            return fallback;
        }
        return value;
    }

    /** A byte count: a whole number, optionally with a unit (k, M, G, T decimal; Ki, Mi, Gi, Ti binary). */
    long size(long fallback, long min, long max) {
        if (isMissing()) {
            return fallback;
        }
        if (json.isIntegralNumber()) {
            return number(fallback, min, max);
        }
        Matcher m = json.isTextual() ? SIZE.matcher(json.asText().trim()) : null;
        if (m == null || !m.matches()) {
            error(describeValue() + " is not a size (expected bytes, e.g. 1073741824, 512Mi or 1Gi)");
            return fallback;
        }
        long base = Long.parseLong(m.group(1));
        long unit = switch (m.group(2)) {
            case "k" -> 1000L;
            case "Ki" -> 1L << 10;
            case "M" -> 1000_000L;
            case "Mi" -> 1L << 20;
            case "G" -> 1000_000_000L;
            case "Gi" -> 1L << 30;
            case "T" -> 1000_000_000_000L;
            case "Ti" -> 1L << 40;
            default -> 1L;
        };
        if (base > Long.MAX_VALUE / unit) {
            error(describeValue() + " is too large");
            return fallback;
        }
        long value = base * unit;
        if (value < min || value > max) {
            error(describeValue() + " is out of range (expected " + min + " to " + max + ")");
            return fallback;
        }
        return value;
    }

    boolean bool(boolean fallback) {
        if (isMissing()) {
            return fallback;
        }
        if (json.isBoolean()) {
            return json.asBoolean();
        }
        String s = json.isTextual() ? json.asText().trim() : "";
        if (s.equals("true") || s.equals("false")) {
            return Boolean.parseBoolean(s);
        }
        error(describeValue() + " is not a boolean (expected true or false)");
        return fallback;
    }

    /** An enum written in lower case ({@code required}, {@code rfc9440}). */
    <E extends Enum<E>> E enumValue(Class<E> type, E fallback) {
        String s = string(null);
        if (s == null) {
            return fallback;
        }
        for (E e : type.getEnumConstants()) {
            if (e.name().toLowerCase(Locale.ROOT).equals(s)) {
                return e;
            }
        }
        error("unknown value \"" + s + "\" (expected " + Arrays.stream(type.getEnumConstants())
                .map(e -> e.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", ")) + ")");
        return fallback;
    }

    /** A file or directory path, resolved against the configuration file's directory. */
    Path file(boolean required, String expected) {
        String s = required ? requiredString(expected) : string(null);
        if (s == null) {
            return null;
        }
        try {
            Path p = Path.of(s);
            return (p.isAbsolute() || baseDir == null ? p : baseDir.resolve(p)).normalize();
        } catch (java.nio.file.InvalidPathException e) {
            error("\"" + s + "\" is not a valid path");
            return null;
        }
    }

    /** An absolute URL with one of {@code schemes}, a host, and no query, fragment or user info. */
    URI url(boolean required, String... schemes) {
        String expected = Arrays.stream(schemes).map(s -> s + "://").collect(Collectors.joining(" or ")) + " URL";
        String s = required ? requiredString(expected) : string(null);
        if (s == null) {
            return null;
        }
        try {
            URI uri = new URI(s);
            if (uri.getScheme() == null || !Arrays.asList(schemes).contains(uri.getScheme().toLowerCase(Locale.ROOT))
                    || uri.getHost() == null) {
                error(describeValue() + " (expected " + expected + ")");
                return null;
            }
            if (uri.getRawUserInfo() != null) {
                // the user info may hold a password: never echo it
                error("must not hold user info (credentials go in auth; expected " + expected + ")");
                return null;
            }
            if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
                error(describeValue() + " must not have a query or fragment (expected " + expected + ")");
                return null;
            }
            return uri;
        } catch (URISyntaxException e) {
            error(describeValue() + " is not a URL (expected " + expected + ")");
            return null;
        }
    }

    private String describe() {
        if (json.isObject()) {
            return "a mapping";
        }
        if (json.isArray()) {
            return "a list";
        }
        return describeValue();
    }

    private String describeValue() {
        return json.isTextual() ? "\"" + json.asText() + "\"" : json.toString();
    }
}
