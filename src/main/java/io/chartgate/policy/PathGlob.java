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

    /**
     * One pass per pattern segment over the set of path positions it can reach: at most (pattern segments x path
     * segments) steps however many {@code **} the pattern holds, where trying every split of each {@code **} was
     * exponential in a client's segment count.
     */
    public boolean matches(CanonicalPath path) {
        List<String> parts = path.segments();
        int n = parts.size();
        boolean[] reached = new boolean[n + 1];
        reached[0] = true;
        for (String glob : segments) {
            boolean[] next = new boolean[n + 1];
            boolean any = false;
            if (glob.equals(ANY_SEGMENTS)) {
                boolean open = false;
                for (int p = 0; p <= n; p++) {
                    open |= reached[p];
                    next[p] = open;
                    any |= open;
                }
            } else {
                for (int p = 0; p < n; p++) {
                    if (reached[p] && Wildcard.matches(glob, parts.get(p))) {
                        next[p + 1] = true;
                        any = true;
                    }
                }
            }
            if (!any) {
                return false;
            }
            reached = next;
        }
        return reached[n];
    }

    @Override
    public String toString() {
        return pattern;
    }
}
