package io.chartgate.policy;

/** Glob matching where {@code *} stands for any run of characters (possibly none); nothing else is special. */
final class Wildcard {

    private Wildcard() {
    }

    static boolean isGlob(String pattern) {
        return pattern.indexOf('*') >= 0;
    }

    /** Greedy matching with backtracking to the last star: linear for the patterns people write. */
    static boolean matches(String pattern, String text) {
        int p = 0;
        int t = 0;
        int star = -1;
        int mark = 0;
        while (t < text.length()) {
            if (p < pattern.length() && pattern.charAt(p) == '*') {
                star = p++;
                mark = t;
            } else if (p < pattern.length() && pattern.charAt(p) == text.charAt(t)) {
                p++;
                t++;
            } else if (star >= 0) {
                p = star + 1;
                t = ++mark;
            } else {
                return false;
            }
        }
        while (p < pattern.length() && pattern.charAt(p) == '*') {
            p++;
        }
        return p == pattern.length();
    }
}
