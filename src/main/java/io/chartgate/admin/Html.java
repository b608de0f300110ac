package io.chartgate.admin;

/**
 * Escapes text for HTML element content and quoted attribute values. Every value the status page shows goes
 * through it: a certificate's DN, a path or a rule name may hold {@code <script>}. (Vert.x Web has an escaper
 * only in its internal {@code impl} package, and it splits characters outside the BMP into broken halves.)
 */
public final class Html {

    private Html() {
    }

    /**
     * {@code & < > " '} become character references, C0 control characters other than tab, newline and carriage
     * return (and DEL) become U+FFFD; everything else, other scripts and emoji included, is kept as it is.
     * Null is the empty string.
     */
    public static String escape(String text) {
        if (text == null) {
            return "";
        }
        StringBuilder out = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            String replacement = switch (c) {
                case '&' -> "&amp;";
                case '<' -> "&lt;";
                case '>' -> "&gt;";
                case '"' -> "&quot;";
                case '\'' -> "&#39;";
                default -> (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f ? "\uFFFD" : null;
            };
            if (replacement != null && out == null) {
                out = new StringBuilder(text.length() + 16).append(text, 0, i);
            }
            if (out != null) {
                if (replacement != null) {
                    out.append(replacement);
                } else {
                    out.append(c);
                }
            }
        }
        return out == null ? text : out.toString();
    }
}
