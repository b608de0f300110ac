package io.chartgate.helm;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * A repository index as the upstream wrote it, with the places that a view may change located in its bytes:
 * every chart URL under {@code entries.<chart>[i].urls}, and the byte span of every chart version and chart.
 * A view ({@link #render}) is the upstream's bytes with only those places spliced: URLs replaced (each keeping
 * its quoting style unless the new text needs quotes) and whole versions or charts removed. Quoting, comments,
 * key order, anchors, line endings, indentation and a BOM are the upstream's, so nothing a client reads changes
 * but what the gateway meant to change. Parsed once per upstream version; rendering is a copy with splices.
 *
 * <p>YAML is located by {@link YamlIndexLocator} (SnakeYAML's event marks, code points converted to bytes), JSON by
 * {@link JsonIndexLocator} (Jackson's byte offsets). The document is never turned into a tree, and nothing is
 * re-serialized.
 */
public final class IndexDocument {

    /** Where a URL scalar sits and how it was written. */
    enum Style { PLAIN, SINGLE, DOUBLE, BLOCK, JSON, ALIAS }

    /** One URL scalar: its value and the bytes {@code [start, end)} that wrote it. */
    record Url(String value, int start, int end, Style style, boolean flow) {
    }

    /**
     * One chart version: its chart's name, its URLs (alias-resolved, in order), and its extent: whole lines in a
     * block sequence, the item alone in a flow one (or JSON).
     */
    public record Version(String chart, List<String> urls, Extent extent) {
    }

    /** A chart: its name, its versions, and its extent in the entries mapping (key and value). */
    record Chart(String name, List<Version> versions, Extent extent) {
    }

    /** Bytes {@code [start, end)} of an item of a collection; {@code flow} when items are separated by commas. */
    record Extent(int start, int end, boolean flow) {
    }

    /** Bytes {@code [start, end)} to drop, or to replace with {@code replacement} when it is not null. */
    record Span(int start, int end, byte[] replacement) {
    }

    private final byte[] source;
    private final List<Chart> charts;
    private final List<Url> urls;
    /** Replaces the whole entries value when every chart is removed (so helm reads {@code entries: {}}). */
    private final Span emptyEntries;

    IndexDocument(byte[] source, List<Chart> charts, List<Url> urls, Span emptyEntries) {
        this.source = source;
        this.charts = List.copyOf(charts);
        this.urls = List.copyOf(urls);
        this.emptyEntries = emptyEntries;
    }

    /**
     * Locates the URLs and versions of an index (YAML, or JSON when its first character is '{').
     *
     * @throws IOException when it is not a well-formed index document
     */
    public static IndexDocument parse(byte[] source) throws IOException {
        int first = firstNonBlank(source);
        try {
            return first == '{' ? new JsonIndexLocator(source).locate() : new YamlIndexLocator(source).locate();
        } catch (YAMLException | IllegalStateException | IndexOutOfBoundsException e) {
            throw new IOException(e.getMessage() == null ? e.getClass().getSimpleName() : firstLine(e.getMessage()), e);
        }
    }

    /** The upstream's bytes as parsed. */
    public byte[] source() {
        return source;
    }

    /** Every chart version, in document order. */
    public List<Version> versions() {
        List<Version> all = new ArrayList<>();
        charts.forEach(chart -> all.addAll(chart.versions()));
        return all;
    }

    /** About what holding this document costs: its bytes and the places located in it. */
    public long retainedBytes() {
        return 64L + source.length + 96L * urls.size() + 160L * charts.stream().mapToLong(c -> c.versions().size() + 1).sum();
    }

    /** How many URL scalars the document holds (for sizing, and tests). */
    public int urlCount() {
        return urls.size();
    }

    /** A view: what {@link #render} made, and how many URLs and versions it changed. */
    public record View(byte[] body, int rewritten, int removed) {
    }

    /**
     * The upstream's bytes with every URL scalar replaced by {@code rewrite}'s answer (unchanged where it answers
     * the same) and the versions {@code keep} refuses cut out; a chart with no version left is cut whole. When
     * nothing changes the answer is the source array itself.
     */
    public View render(UnaryOperator<String> rewrite, Predicate<Version> keep) {
        // cuts, in document order and never overlapping: runs of removed versions, and charts with none left
        List<Span> cuts = new ArrayList<>();
        int removed = 0;
        boolean[] chartGone = new boolean[charts.size()];
        for (int c = 0; c < charts.size(); c++) {
            List<Version> versions = charts.get(c).versions();
            boolean[] gone = new boolean[versions.size()];
            int left = 0;
            for (int v = 0; v < versions.size(); v++) {
                gone[v] = !keep.test(versions.get(v));
                left += gone[v] ? 0 : 1;
            }
            removed += versions.size() - left;
            chartGone[c] = left == 0 && !versions.isEmpty();
            if (!chartGone[c] && left < versions.size()) {
                cutRuns(versions.stream().map(Version::extent).toList(), gone, cuts);
            }
        }
        List<Span> chartCuts = new ArrayList<>();
        boolean anyChartLeft = false;
        for (boolean gone : chartGone) {
            anyChartLeft |= !gone;
        }
        if (!anyChartLeft && removed > 0 && emptyEntries != null) {
            cuts.clear();
            cuts.add(emptyEntries);
        } else {
            cutRuns(charts.stream().map(Chart::extent).toList(), chartGone, chartCuts);
            cuts.addAll(chartCuts);
            cuts.sort((a, b) -> Integer.compare(a.start(), b.start()));
        }
        List<Span> splices = new ArrayList<>(cuts);
        int rewritten = 0;
        int next = 0;
        for (Url url : urls) { // in document order, like the cuts: one sweep finds those cut away
            while (next < cuts.size() && cuts.get(next).end() <= url.start()) {
                next++;
            }
            if (next < cuts.size() && url.start() >= cuts.get(next).start()) {
                continue;
            }
            String changed = rewrite.apply(url.value());
            if (!changed.equals(url.value())) {
                splices.add(replacement(url, changed));
                rewritten++;
            }
        }
        if (splices.isEmpty()) {
            return new View(source, 0, 0);
        }
        splices.sort((a, b) -> Integer.compare(a.start(), b.start()));
        ByteArrayOutputStream out = new ByteArrayOutputStream(source.length + rewritten * 32);
        int at = 0;
        for (Span splice : splices) {
            if (splice.start() < at) {
                continue; // inside a span already cut (a URL of a removed version)
            }
            out.write(source, at, splice.start() - at);
            if (splice.replacement() != null) {
                out.writeBytes(splice.replacement());
            }
            at = splice.end();
        }
        out.write(source, at, source.length - at);
        return new View(out.toByteArray(), rewritten, removed);
    }

    /**
     * The cuts that remove the items marked {@code gone} (never all of them) from one collection, a run of
     * neighbours at a time: whole lines in a block collection; in a flow one the run and the comma after it, or,
     * for a run at the end, the comma before it, so the collection stays well formed.
     */
    private static void cutRuns(List<Extent> items, boolean[] gone, List<Span> cuts) {
        for (int i = 0; i < items.size(); i++) {
            if (!gone[i]) {
                continue;
            }
            int j = i;
            while (j + 1 < items.size() && gone[j + 1]) {
                j++;
            }
            Extent first = items.get(i);
            if (!first.flow()) {
                cuts.add(new Span(first.start(), items.get(j).end(), null));
            } else if (j + 1 < items.size()) {
                cuts.add(new Span(first.start(), items.get(j + 1).start(), null));
            } else {
                cuts.add(new Span(items.get(i - 1).end(), items.get(j).end(), null));
            }
            i = j;
        }
    }

    /**
     * The splice that makes {@code url} read {@code value}. Where the scalar's raw text starts with the part of the
     * old value that changes (a URL's base), only that part is replaced, so anchors, escapes ({@code \u0026}) and
     * quoting in the rest stay the upstream's bytes; otherwise the whole scalar is written anew in its style.
     */
    private Span replacement(Url url, String value) {
        String old = url.value();
        int common = 0;
        while (common < old.length() && common < value.length()
                && old.charAt(old.length() - 1 - common) == value.charAt(value.length() - 1 - common)) {
            common++;
        }
        String oldPrefix = old.substring(0, old.length() - common);
        String newPrefix = value.substring(0, value.length() - common);
        int at = valueStart(url);
        byte[] raw = oldPrefix.getBytes(StandardCharsets.UTF_8);
        boolean literal = at >= 0 && at + raw.length <= url.end() && !needsEscape(oldPrefix) && !needsEscape(newPrefix)
                && Arrays.equals(source, at, at + raw.length, raw, 0, raw.length)
                && (url.style() != Style.PLAIN || plainSafe(value, url.flow()));
        if (literal) {
            return new Span(at, at + raw.length, newPrefix.getBytes(StandardCharsets.UTF_8));
        }
        return new Span(url.start(), url.end(), write(value, url));
    }

    /** Where the scalar's characters begin: past any anchor or tag and the opening quote; -1 when not plain text. */
    private int valueStart(Url url) {
        if (url.style() == Style.ALIAS || url.style() == Style.BLOCK) {
            return -1;
        }
        int i = url.start();
        while (i < url.end() && (source[i] == '&' || source[i] == '!')) {
            while (i < url.end() && !isBlank(source[i])) {
                i++;
            }
            while (i < url.end() && isBlank(source[i])) {
                i++;
            }
        }
        return url.style() == Style.PLAIN ? i : i + 1;
    }

    /** Characters whose raw form may differ from their value in some style: such a prefix is not spliced. */
    private static boolean needsEscape(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\'' || c == '"' || c == '\\' || c == '#' || c <= ' ' || c == 0x7f) {
                return true;
            }
        }
        return false;
    }

    /** The new URL written in the old one's style: a plain scalar is quoted only when the text needs it. */
    private static byte[] write(String value, Url url) {
        String text = switch (url.style()) {
            case JSON -> "\"" + new String(JsonStringEncoder.getInstance().quoteAsString(value)) + "\"";
            case SINGLE -> "'" + value.replace("'", "''") + "'";
            case PLAIN, ALIAS -> plainSafe(value, url.flow()) ? value : doubleQuoted(value);
            case DOUBLE -> doubleQuoted(value);
            case BLOCK -> doubleQuoted(value) + "\n";
        };
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String doubleQuoted(String value) {
        StringBuilder out = new StringBuilder(value.length() + 2).append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20 || c == 0x7f) {
                out.append(String.format("\\x%02x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }

    /** Whether {@code value} reads back as the same string when written as a plain YAML scalar. */
    static boolean plainSafe(String value, boolean flow) {
        if (value.isEmpty() || Character.isWhitespace(value.charAt(0)) || Character.isWhitespace(value.charAt(value.length() - 1))) {
            return false;
        }
        if ("-?:,[]{}#&*!|>'\"%@`".indexOf(value.charAt(0)) >= 0) {
            return false;
        }
        if (value.contains(": ") || value.contains(" #") || value.endsWith(":")) {
            return false;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 || c == 0x7f || (flow && ",[]{}".indexOf(c) >= 0)) {
                return false;
            }
        }
        // a URL is never a YAML 1.1 number, boolean or null; anything that could be one is quoted
        return value.contains("/") && !value.matches("[-+.0-9a-zA-Z_~]*");
    }

    private static int firstNonBlank(byte[] bytes) {
        int i = bytes.length >= 3 && (bytes[0] & 0xff) == 0xef && (bytes[1] & 0xff) == 0xbb && (bytes[2] & 0xff) == 0xbf ? 3 : 0;
        for (; i < bytes.length; i++) {
            byte b = bytes[i];
            if (b != ' ' && b != '\n' && b != '\r' && b != '\t') {
                return b;
            }
        }
        return -1;
    }

    private static String firstLine(String message) {
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }

    /** The start of the line holding {@code at}, when only blanks precede it there; else {@code at}. */
    static int lineStart(byte[] s, int at) {
        int i = at;
        while (i > 0 && (s[i - 1] == ' ' || s[i - 1] == '\t')) {
            i--;
        }
        return i == 0 || s[i - 1] == '\n' ? i : at;
    }

    /** Just past the line break that ends the line holding {@code at - 1} (or the end of the document). */
    static int lineEnd(byte[] s, int at) {
        if (at > 0 && s[at - 1] == '\n') {
            return at;
        }
        int i = at;
        while (i < s.length && s[i] != '\n') {
            i++;
        }
        return Math.min(s.length, i + 1);
    }

    static boolean isBlank(byte b) {
        return b == ' ' || b == '\t' || b == '\n' || b == '\r';
    }

}
