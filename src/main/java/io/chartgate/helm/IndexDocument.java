package io.chartgate.helm;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.events.AliasEvent;
import org.yaml.snakeyaml.events.CollectionStartEvent;
import org.yaml.snakeyaml.events.Event;
import org.yaml.snakeyaml.events.MappingStartEvent;
import org.yaml.snakeyaml.events.ScalarEvent;
import org.yaml.snakeyaml.events.SequenceStartEvent;

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

    /** A parse event of an anchored node, the byte offset it starts at, and for an alias the anchor it names (else -1). */
    record Located(Event event, int start, int anchor) {
    }

    /** An anchored node (YAML): its name, where it starts, and its events, for writing it where an alias of it stays. */
    record Anchor(String name, int start, List<Located> events) {
    }

    /** An alias: bytes {@code [start, end)} and the index of the anchor it names. */
    record AliasUse(int start, int end, int anchor) {
    }

    private final byte[] source;
    private final List<Chart> charts;
    private final List<Url> urls;
    /** Replaces the whole entries value when every chart is removed (so helm reads {@code entries: {}}). */
    private final Span emptyEntries;
    private final List<Anchor> anchors;
    private final List<AliasUse> aliases;

    IndexDocument(byte[] source, List<Chart> charts, List<Url> urls, Span emptyEntries) {
        this(source, charts, urls, emptyEntries, List.of(), List.of());
    }

    IndexDocument(byte[] source, List<Chart> charts, List<Url> urls, Span emptyEntries, List<Anchor> anchors,
            List<AliasUse> aliases) {
        this.source = source;
        this.charts = List.copyOf(charts);
        this.urls = List.copyOf(urls);
        this.emptyEntries = emptyEntries;
        this.anchors = anchors.stream().map(a -> new Anchor(a.name(), a.start(), List.copyOf(a.events()))).toList();
        this.aliases = List.copyOf(aliases);
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
        } catch (YAMLException | IllegalStateException | IllegalArgumentException | IndexOutOfBoundsException e) {
            // IllegalArgumentException: SnakeYAML's scanner lets an escape such as "\U0041F680" (no code point) escape
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
        return 64L + source.length + 96L * urls.size() + 160L * charts.stream().mapToLong(c -> c.versions().size() + 1).sum()
                + 48L * aliases.size() + 96L * anchors.stream().mapToLong(a -> a.events().size()).sum();
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
     *
     * @throws IllegalStateException when a kept alias names an anchor that is cut out and can not be written in its
     *     place: one that holds itself (a recursive node), or that expands past the document's size
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
        int[] rewritten = {0};
        Set<Integer> written = cuts.isEmpty() ? Set.of() : writeOrphanedAliases(cuts, rewrite, splices, rewritten);
        int next = 0;
        for (Url url : urls) { // in document order, like the cuts: one sweep finds those cut away
            while (next < cuts.size() && cuts.get(next).end() <= url.start()) {
                next++;
            }
            if (next < cuts.size() && url.start() >= cuts.get(next).start() || written.contains(url.start())) {
                continue;
            }
            String changed = rewrite.apply(url.value());
            if (!changed.equals(url.value())) {
                splices.add(replacement(url, changed));
                rewritten[0]++;
            }
        }
        if (splices.isEmpty()) {
            return new View(source, 0, 0);
        }
        splices.sort((a, b) -> Integer.compare(a.start(), b.start()));
        ByteArrayOutputStream out = new ByteArrayOutputStream(source.length + rewritten[0] * 32);
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
        return new View(out.toByteArray(), rewritten[0], removed);
    }

    /**
     * An alias that stays while the node it names is cut out (a removed version held the anchor) would leave the
     * view unreadable ("unknown anchor"): such an alias is replaced by the node itself, written in flow style on
     * one line, its chart URLs rewritten like the others. Returns where the replaced aliases start.
     */
    private Set<Integer> writeOrphanedAliases(List<Span> cuts, UnaryOperator<String> rewrite, List<Span> splices, int[] rewritten) {
        Set<Integer> written = new HashSet<>();
        Set<Integer> urlStarts = null;
        int[] budget = {Math.max(100_000, source.length)};
        for (AliasUse alias : aliases) {
            if (!inside(cuts, anchors.get(alias.anchor()).start()) || inside(cuts, alias.start())) {
                continue;
            }
            if (urlStarts == null) {
                urlStarts = new HashSet<>();
                for (Url url : urls) {
                    urlStarts.add(url.start());
                }
            }
            List<Event> events = new ArrayList<>();
            expand(alias.anchor(), urlStarts.contains(alias.start()), alias.start(), cuts, rewrite, urlStarts, events,
                    new ArrayDeque<>(), rewritten, budget);
            splices.add(new Span(alias.start(), alias.end(), flow(events)));
            written.add(alias.start());
        }
        return written;
    }

    /** The events of anchor {@code index}, without anchors; an alias inside it stays unless its own anchor is gone. */
    private void expand(int index, boolean rewriteRoot, int at, List<Span> cuts, UnaryOperator<String> rewrite,
            Set<Integer> urlStarts, List<Event> out, Deque<Integer> open, int[] rewritten, int[] budget) {
        if (open.contains(index)) {
            throw new IllegalStateException("a recursive anchor (&" + anchors.get(index).name() + ") is cut out of the index but used");
        }
        open.push(index);
        List<Located> events = anchors.get(index).events();
        for (Located located : events) {
            if (--budget[0] < 0) {
                throw new IllegalStateException("the anchors cut out of the index expand past " + Math.max(100_000, source.length) + " nodes");
            }
            Event event = located.event();
            if (event instanceof AliasEvent alias) {
                Anchor named = anchors.get(located.anchor());
                if (inside(cuts, named.start()) || activeAnchor(named.name(), at) != located.anchor()) {
                    expand(located.anchor(), false, at, cuts, rewrite, urlStarts, out, open, rewritten, budget);
                } else {
                    out.add(new AliasEvent(alias.getAnchor(), null, null));
                }
            } else if (event instanceof ScalarEvent scalar) {
                String value = scalar.getValue();
                if (urlStarts.contains(located.start()) || (rewriteRoot && events.size() == 1)) {
                    String changed = rewrite.apply(value);
                    if (!changed.equals(value)) {
                        value = changed;
                        rewritten[0]++;
                    }
                }
                out.add(new ScalarEvent(null, scalar.getTag(), scalar.getImplicit(), value, null, null, scalar.getScalarStyle()));
            } else if (event instanceof MappingStartEvent mapping) {
                out.add(new MappingStartEvent(null, mapping.getTag(), mapping.getImplicit(), null, null, DumperOptions.FlowStyle.FLOW));
            } else if (event instanceof SequenceStartEvent sequence) {
                out.add(new SequenceStartEvent(null, sequence.getTag(), sequence.getImplicit(), null, null, DumperOptions.FlowStyle.FLOW));
            } else {
                out.add(event);
            }
        }
        open.pop();
    }

    /** The anchor of that name in force at byte {@code at} (a later anchor of the same name replaces an earlier one). */
    private int activeAnchor(String name, int at) {
        int active = -1;
        for (int i = 0; i < anchors.size() && anchors.get(i).start() < at; i++) {
            if (anchors.get(i).name().equals(name)) {
                active = i;
            }
        }
        return active;
    }

    /**
     * Events of one node written as YAML on one line, in flow style: a plain scalar stays plain where flow allows it
     * (so {@code 1.0} stays a number and {@code ~} null), any other is double-quoted (it was a string), an explicit
     * tag is kept verbatim.
     */
    private static byte[] flow(List<Event> node) {
        StringBuilder out = new StringBuilder();
        Deque<int[]> open = new ArrayDeque<>(); // per collection: {1 for a mapping, items written}
        for (Event event : node) {
            if (event.is(Event.ID.MappingEnd) || event.is(Event.ID.SequenceEnd)) {
                out.append(open.pop()[0] == 1 ? '}' : ']');
                continue;
            }
            int[] parent = open.peek();
            boolean key = false;
            if (parent != null) {
                key = parent[0] == 1 && parent[1] % 2 == 0;
                out.append(parent[1] == 0 ? "" : parent[0] == 1 && !key ? ": " : ", ");
                parent[1]++;
            }
            if (event instanceof AliasEvent alias) {
                out.append('*').append(alias.getAnchor()).append(key ? " " : "");
            } else if (event instanceof ScalarEvent scalar) {
                out.append(scalar(scalar));
            } else if (event instanceof CollectionStartEvent collection) {
                boolean mapping = event instanceof MappingStartEvent;
                out.append(key ? "? " : "");
                if (collection.getTag() != null && !collection.getImplicit()) {
                    out.append("!<").append(collection.getTag()).append("> ");
                }
                out.append(mapping ? '{' : '[');
                open.push(new int[] {mapping ? 1 : 0, 0});
            }
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static String scalar(ScalarEvent scalar) {
        String value = scalar.getValue();
        String tag = scalar.getTag();
        if (tag == null && scalar.getScalarStyle() == DumperOptions.ScalarStyle.PLAIN) {
            return value.isEmpty() ? "~" : plainInFlow(value) ? value : quoted(value);
        }
        return tag == null || tag.equals("!") ? quoted(value) : "!<" + tag + "> " + quoted(value);
    }

    /** Whether {@code value}, written plain inside a flow collection, reads back as the same characters. */
    private static boolean plainInFlow(String value) {
        char first = value.charAt(0);
        if ("?:,[]{}#&*!|>'\"%@`".indexOf(first) >= 0 || (first == '-' && (value.length() == 1 || value.charAt(1) == ' '))
                || value.startsWith(" ") || value.endsWith(" ") || value.endsWith(":") || value.contains(": ") || value.contains(" #")) {
            return false;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 || c == 0x2029 || c == 0xfeff || c >= 0xfffe
                    || Character.isSurrogate(c) || ",?[]{}".indexOf(c) >= 0) {
                return false;
            }
        }
        return true;
    }

    /** A YAML double-quoted scalar: every character that is not printable, or breaks a line, escaped. */
    private static String quoted(String value) {
        StringBuilder out = new StringBuilder(value.length() + 2).append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            boolean pair = Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1));
            if (pair) {
                out.append(c).append(value.charAt(++i));
            } else if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c == '\n' || c == '\t') {
                out.append(c == '\n' ? "\\n" : "\\t");
            } else if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) {
                out.append(String.format("\\x%02x", (int) c));
            } else if (c == 0x2028 || c == 0x2029 || c == 0xfeff || c >= 0xfffe || Character.isSurrogate(c)) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }

    /** Whether byte {@code at} lies in one of {@code cuts} (sorted by start, not overlapping). */
    private static boolean inside(List<Span> cuts, int at) {
        int low = 0;
        int high = cuts.size() - 1;
        while (low <= high) {
            int mid = (low + high) >>> 1;
            Span cut = cuts.get(mid);
            if (at < cut.start()) {
                high = mid - 1;
            } else if (at >= cut.end()) {
                low = mid + 1;
            } else {
                return true;
            }
        }
        return false;
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
        byte[] written = write(value, url);
        int end = url.end();
        if ((url.style() == Style.PLAIN || url.style() == Style.ALIAS) && written.length > 0 && written[0] == '"') {
            // Tabs after a plain scalar belong to it for YAML readers; after a quoted one SnakeYAML refuses a tab where
            // a token may start. So the blanks that followed go too: nothing before a line break, one space otherwise.
            int j = end;
            boolean tab = false;
            while (j < source.length && (source[j] == ' ' || source[j] == '\t')) {
                tab |= source[j] == '\t';
                j++;
            }
            if (tab) {
                boolean lineEnds = j >= source.length || source[j] == '\n' || source[j] == '\r';
                written = lineEnds ? written : Arrays.copyOf(written, written.length + 1);
                if (!lineEnds) {
                    written[written.length - 1] = ' ';
                }
                end = j;
            }
        }
        // an anchor or tag before the scalar stays: an alias elsewhere may name it
        int at2 = valueStart(url);
        int keep = at2 < 0 ? url.start() : url.style() == Style.PLAIN ? at2 : at2 - 1;
        return new Span(keep, end, written);
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
            case JSON -> "\"" + escapeLoneSurrogates(new String(JsonStringEncoder.getInstance().quoteAsString(value))) + "\"";
            case SINGLE -> "'" + value.replace("'", "''") + "'";
            case PLAIN, ALIAS -> plainSafe(value, url.flow()) ? value : doubleQuoted(value);
            case DOUBLE -> doubleQuoted(value);
            case BLOCK -> doubleQuoted(value) + "\n";
        };
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String doubleQuoted(String value) {
        return quoted(value);
    }

    /** A lone surrogate (an escape such as {@code \\ud83d} in the upstream's JSON) as an escape again: UTF-8 has no byte for it. */
    private static String escapeLoneSurrogates(String text) {
        StringBuilder out = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean pair = Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1));
            if (pair) {
                if (out != null) {
                    out.append(c).append(text.charAt(i + 1));
                }
                i++;
                continue;
            }
            if (Character.isSurrogate(c) && out == null) {
                out = new StringBuilder(text.substring(0, i));
            }
            if (out != null) {
                out.append(Character.isSurrogate(c) ? String.format("\\u%04x", (int) c) : String.valueOf(c));
            }
        }
        return out == null ? text : out.toString();
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
            // in a flow collection a plain scalar also ends at '?' (SnakeYAML and libyaml, hence helm)
            if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 || c == 0x2029 || c == 0xfeff || c >= 0xfffe
                    || (Character.isSurrogate(c) && !(Character.isHighSurrogate(c) && i + 1 < value.length()
                            && Character.isLowSurrogate(value.charAt(++i))))
                    || (flow && ",?[]{}".indexOf(c) >= 0)) {
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
        return i == 0 || breakEndingAt(s, i) > 0 ? i : at;
    }

    /**
     * Just past the line break that ends the line holding {@code at - 1} (or the end of the document). A line
     * break is what YAML 1.1 reads as one, as SnakeYAML and libyaml (helm) do: CR LF, LF, a lone CR, NEL, LS, PS.
     */
    static int lineEnd(byte[] s, int at) {
        if (breakEndingAt(s, at) > 0) {
            return at;
        }
        for (int i = at; i < s.length; i++) {
            int length = breakStartingAt(s, i);
            if (length > 0) {
                return i + length;
            }
        }
        return s.length;
    }

    /** The length of the line break that ends just before {@code end}, or 0. */
    static int breakEndingAt(byte[] s, int end) {
        if (end >= 2 && s[end - 2] == '\r' && s[end - 1] == '\n') {
            return 2;
        }
        if (end >= 1 && s[end - 1] == '\r') {
            return end < s.length && s[end] == '\n' ? 0 : 1; // between CR and LF is inside the break
        }
        if (end >= 1 && s[end - 1] == '\n') {
            return 1;
        }
        if (end >= 2 && (s[end - 2] & 0xff) == 0xc2 && (s[end - 1] & 0xff) == 0x85) {
            return 2;
        }
        return end >= 3 && breakStartingAt(s, end - 3) == 3 ? 3 : 0;
    }

    /** The length of the line break that starts at {@code i}, or 0. */
    private static int breakStartingAt(byte[] s, int i) {
        int b = s[i] & 0xff;
        if (b == '\n') {
            return 1;
        }
        if (b == '\r') {
            return i + 1 < s.length && s[i + 1] == '\n' ? 2 : 1;
        }
        if (b == 0xc2 && i + 1 < s.length && (s[i + 1] & 0xff) == 0x85) {
            return 2;
        }
        return b == 0xe2 && i + 2 < s.length && (s[i + 1] & 0xff) == 0x80 && ((s[i + 2] & 0xff) == 0xa8 || (s[i + 2] & 0xff) == 0xa9) ? 3 : 0;
    }

    static boolean isBlank(byte b) {
        return b == ' ' || b == '\t' || b == '\n' || b == '\r';
    }

}
