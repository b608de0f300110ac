package io.chartgate.policy;

import java.util.ArrayList;
import java.util.List;

/**
 * A path pattern of a policy rule. {@code *} matches within one segment, a {@code **} segment matches any
 * number of segments (none included, so {@code /x/**} matches {@code /x}). Case-sensitive. It is matched
 * against a {@link CanonicalPath}, so no encoding or dot trick can step around it.
 */
public final class PathGlob {

    private static final String ANY_SEGMENTS = "**";

    private final String pattern;
    private final List<String> segments;

    private PathGlob(String pattern, List<String> segments) {
        this.pattern = pattern;
        this.segments = segments;
    }

    /** @throws IllegalArgumentException when the pattern does not start with '/' */
    public static PathGlob compile(String pattern) {
        if (!pattern.startsWith("/")) {
            throw new IllegalArgumentException("a path glob must start with /");
        }
        List<String> segments = new ArrayList<>();
        for (String s : pattern.split("/")) {
            if (!s.isEmpty()) {
                segments.add(s);
            }
        }
        return new PathGlob(pattern, List.copyOf(segments));
    }

    public boolean matches(CanonicalPath path) {
        return match(0, path.segments(), 0);
    }

    private boolean match(int g, List<String> path, int p) {
        if (g == segments.size()) {
            return p == path.size();
        }
        String glob = segments.get(g);
        if (glob.equals(ANY_SEGMENTS)) {
            for (int skip = p; skip <= path.size(); skip++) {
                if (match(g + 1, path, skip)) {
                    return true;
                }
            }
            return false;
        }
        return p < path.size() && Wildcard.matches(glob, path.get(p)) && match(g + 1, path, p + 1);
    }

    @Override
    public String toString() {
        return pattern;
    }
}
