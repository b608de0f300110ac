package io.chartgate.helm;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.events.AliasEvent;
import org.yaml.snakeyaml.events.CollectionStartEvent;
import org.yaml.snakeyaml.events.Event;
import org.yaml.snakeyaml.events.MappingStartEvent;
import org.yaml.snakeyaml.events.ScalarEvent;

/**
 * A repository index as the upstream wrote it, with the places that a view may change located in its bytes:
 * every chart URL under {@code entries.<chart>[i].urls}, and the byte span of every chart version and chart.
 * A view ({@link #render}) is the upstream's bytes with only those places spliced: URLs replaced (each keeping
 * its quoting style unless the new text needs quotes) and whole versions or charts removed. Quoting, comments,
 * key order, anchors, line endings, indentation and a BOM are the upstream's, so nothing a client reads changes
 * but what the gateway meant to change. Parsed once per upstream version; rendering is a copy with splices.
 *
 * <p>YAML is located with SnakeYAML's event marks (code points, converted to bytes here), JSON with Jackson's
 * byte offsets. The document is never turned into a tree, and nothing is re-serialized.
 */
public final class IndexDocument {

    private static final JsonFactory JSON = new JsonFactory();

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

    private IndexDocument(byte[] source, List<Chart> charts, List<Url> urls, Span emptyEntries) {
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
            return first == '{' ? new JsonLocator(source).locate() : new YamlLocator(source).locate();
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
    private static int lineStart(byte[] s, int at) {
        int i = at;
        while (i > 0 && (s[i - 1] == ' ' || s[i - 1] == '\t')) {
            i--;
        }
        return i == 0 || s[i - 1] == '\n' ? i : at;
    }

    /** Just past the line break that ends the line holding {@code at - 1} (or the end of the document). */
    private static int lineEnd(byte[] s, int at) {
        if (at > 0 && s[at - 1] == '\n') {
            return at;
        }
        int i = at;
        while (i < s.length && s[i] != '\n') {
            i++;
        }
        return Math.min(s.length, i + 1);
    }

    private static boolean isBlank(byte b) {
        return b == ' ' || b == '\t' || b == '\n' || b == '\r';
    }

    /** A version's URLs while its mapping is being read. */
    private static final class VersionBuilder {
        final List<String> urls = new ArrayList<>();
        int start;
        boolean flow;
    }

    /** Finds the places in a YAML index: a walk over SnakeYAML's parse events with a stack of what holds what. */
    private static final class YamlLocator {

        private enum Role { ROOT, ENTRIES, CHART, VERSION, URLS, OTHER }

        private static final class Frame {
            final Role role;
            final boolean mapping;
            final boolean flow;
            final int start;
            String anchor;
            boolean expectingKey = true;
            String key;
            int keyStart;
            String chart;
            VersionBuilder version;
            List<Version> versions;
            List<String> values;

            Frame(Role role, boolean mapping, boolean flow, int start) {
                this.role = role;
                this.mapping = mapping;
                this.flow = flow;
                this.start = start;
            }
        }

        private final byte[] s;
        private final ByteOffsets offsets;
        private final Deque<Frame> stack = new ArrayDeque<>();
        private final List<Chart> charts = new ArrayList<>();
        private final List<Url> urls = new ArrayList<>();
        private final Map<String, String> scalarAnchors = new HashMap<>();
        /** Anchors of URL scalars written in a urls list: rewritten where written, so their aliases follow. */
        private final java.util.Set<String> urlAnchors = new java.util.HashSet<>();
        private final Map<String, List<String>> listAnchors = new HashMap<>();
        private final Map<String, List<String>> versionAnchors = new HashMap<>();
        /** The end of the last thing read, in bytes: where a version or chart ends. */
        private int lastEnd;
        private int entriesColon = -1;
        private Span emptyEntries;

        YamlLocator(byte[] s) {
            this.s = s;
            this.offsets = new ByteOffsets(s);
        }

        IndexDocument locate() throws IOException {
            LoaderOptions options = new LoaderOptions();
            // SnakeYAML stops at 3 MB by default; a 10,000-chart index is 7.5 MB, and the caller bounds the size
            options.setCodePointLimit(Integer.MAX_VALUE);
            options.setMaxAliasesForCollections(Integer.MAX_VALUE);
            Reader reader = new InputStreamReader(new ByteArrayInputStream(s), StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT));
            int documents = 0;
            for (Event event : new Yaml(options).parse(reader)) {
                if (event.is(Event.ID.DocumentStart) && ++documents > 1) {
                    throw new IOException("an index holds one YAML document, this one holds more");
                }
                on(event);
            }
            return new IndexDocument(s, charts, urls, emptyEntries);
        }

        private int at(Mark mark) {
            return offsets.of(mark.getIndex());
        }

        private void on(Event event) {
            if (event instanceof ScalarEvent scalar) {
                scalar(scalar);
            } else if (event instanceof AliasEvent alias) {
                alias(alias);
            } else if (event instanceof CollectionStartEvent start) {
                open(start);
            } else if (event.is(Event.ID.MappingEnd) || event.is(Event.ID.SequenceEnd)) {
                close(at(event.getEndMark()));
            }
        }

        private void scalar(ScalarEvent scalar) {
            Frame top = stack.peek();
            int start = at(scalar.getStartMark());
            int end = at(scalar.getEndMark());
            if (scalar.getAnchor() != null) {
                scalarAnchors.put(scalar.getAnchor(), scalar.getValue());
            }
            if (top == null) {
                return;
            }
            if (top.mapping && top.expectingKey) {
                top.key = scalar.getValue();
                top.keyStart = start;
                top.expectingKey = false;
                return;
            }
            if (top.role == Role.URLS) {
                url(scalar.getValue(), start, end, style(scalar.getScalarStyle()), top.flow, true);
                if (scalar.getAnchor() != null) {
                    urlAnchors.add(scalar.getAnchor());
                }
            }
            valueRead(top, end);
        }

        private void alias(AliasEvent alias) {
            Frame top = stack.peek();
            if (top == null) {
                return;
            }
            int start = at(alias.getStartMark());
            int end = at(alias.getEndMark());
            String anchor = alias.getAnchor();
            if (top.mapping && top.expectingKey) {
                top.key = scalarAnchors.get(anchor);
                top.keyStart = start;
                top.expectingKey = false;
                return;
            }
            if (top.role == Role.URLS && urlAnchors.contains(anchor)) {
                // the anchored URL is rewritten where it is written; the alias reads it from there
                url(scalarAnchors.get(anchor), start, end, Style.ALIAS, top.flow, false);
            } else if (top.role == Role.URLS && scalarAnchors.containsKey(anchor)) {
                url(scalarAnchors.get(anchor), start, end, Style.ALIAS, top.flow, true);
            } else if (top.role == Role.VERSION && "urls".equals(top.key) && listAnchors.containsKey(anchor)) {
                // urls: *list, whose scalars were located (and are rewritten) where the list was written
                top.version.urls.addAll(listAnchors.get(anchor));
            } else if (top.role == Role.CHART && versionAnchors.containsKey(anchor)) {
                VersionBuilder aliased = new VersionBuilder();
                aliased.urls.addAll(versionAnchors.get(anchor));
                aliased.start = itemStart(top, start);
                aliased.flow = top.flow;
                top.versions.add(finish(top, aliased, end));
            }
            valueRead(top, end);
        }

        /** A URL of the version being read; {@code located} when its bytes are where a view may change it. */
        private void url(String value, int start, int end, Style style, boolean flow, boolean located) {
            Frame version = parent(Role.VERSION);
            Url url = new Url(value, start, end, style, flow);
            if (version != null) {
                version.version.urls.add(value);
            }
            Frame list = stack.peek();
            if (list != null && list.values != null) {
                list.values.add(value);
            }
            if (located) {
                urls.add(url);
            }
        }

        private Frame parent(Role role) {
            for (Frame frame : stack) {
                if (frame.role == role) {
                    return frame;
                }
            }
            return null;
        }

        private void open(CollectionStartEvent start) {
            Frame top = stack.peek();
            boolean mapping = start instanceof MappingStartEvent;
            boolean flow = start.getFlowStyle() == DumperOptions.FlowStyle.FLOW;
            int position = at(start.getStartMark());
            Role role = Role.OTHER;
            if (top == null) {
                role = mapping ? Role.ROOT : Role.OTHER;
            } else if (top.mapping && top.expectingKey) {
                top.key = null; // a complex key: nothing of an index
                top.expectingKey = false;
            } else if (top.role == Role.ROOT && mapping && "entries".equals(top.key)) {
                role = Role.ENTRIES;
                entriesColon = colonAfter(top.keyStart);
            } else if (top.role == Role.ENTRIES && !mapping && top.key != null) {
                role = Role.CHART;
            } else if (top.role == Role.CHART && mapping) {
                role = Role.VERSION;
            } else if (top.role == Role.VERSION && !mapping && "urls".equals(top.key)) {
                role = Role.URLS;
            }
            Frame frame = new Frame(role, mapping, flow, position);
            if (role == Role.CHART) {
                frame.chart = top.key;
                frame.versions = new ArrayList<>();
            } else if (role == Role.VERSION) {
                frame.version = new VersionBuilder();
                frame.version.start = itemStart(top, position);
                frame.version.flow = top.flow;
            } else if (role == Role.URLS) {
                frame.values = new ArrayList<>();
            }
            frame.anchor = start.getAnchor();
            stack.push(frame);
        }

        private void close(int end) {
            Frame frame = stack.pop();
            String anchor = frame.anchor;
            int contentEnd = frame.flow ? end : Math.max(lastEnd, frame.start);
            Frame parent = stack.peek();
            if (frame.role == Role.URLS && anchor != null) {
                listAnchors.put(anchor, List.copyOf(frame.values));
            } else if (frame.role == Role.VERSION) {
                if (anchor != null) {
                    versionAnchors.put(anchor, List.copyOf(frame.version.urls));
                }
                parent.versions.add(finish(parent, frame.version, contentEnd));
            } else if (frame.role == Role.CHART) {
                Frame entries = parent;
                int keyStart = entries.keyStart;
                Extent extent = entries.flow ? new Extent(keyStart, contentEnd, true)
                        : new Extent(lineStart(s, keyStart), lineEnd(s, contentEnd), false);
                charts.add(new Chart(frame.chart, List.copyOf(frame.versions), extent));
            } else if (frame.role == Role.ENTRIES) {
                byte[] empty = ": {}".getBytes(StandardCharsets.US_ASCII);
                if (frame.flow) {
                    emptyEntries = new Span(frame.start, end, "{}".getBytes(StandardCharsets.US_ASCII));
                } else if (entriesColon >= 0) {
                    int lineEnd = lineEnd(s, contentEnd);
                    String lineBreak = lineEnd >= 2 && s[lineEnd - 2] == '\r' ? "\r\n" : lineEnd > 0 && s[lineEnd - 1] == '\n' ? "\n" : "";
                    byte[] replacement = (": {}" + lineBreak).getBytes(StandardCharsets.US_ASCII);
                    emptyEntries = new Span(entriesColon, lineEnd, lineBreak.isEmpty() ? empty : replacement);
                }
            }
            lastEnd = Math.max(lastEnd, frame.flow ? end : contentEnd);
            if (parent != null) {
                valueRead(parent, lastEnd);
            }
        }

        private Version finish(Frame chart, VersionBuilder version, int end) {
            Extent extent = version.flow ? new Extent(version.start, end, true)
                    : new Extent(lineStart(s, version.start), lineEnd(s, end), false);
            return new Version(chart.chart, List.copyOf(version.urls), extent);
        }

        private void valueRead(Frame top, int end) {
            lastEnd = Math.max(lastEnd, end);
            if (top.mapping) {
                top.expectingKey = true;
            }
        }

        /** Where a sequence item begins: its {@code -} indicator in a block sequence, itself in a flow one. */
        private int itemStart(Frame sequence, int position) {
            if (sequence.flow) {
                return position;
            }
            int i = position - 1;
            while (i >= 0 && isBlank(s[i])) {
                i--;
            }
            return i >= 0 && s[i] == '-' ? i : position;
        }

        private int colonAfter(int keyStart) {
            int i = keyStart;
            while (i < s.length && s[i] != ':' && s[i] != '\n') {
                i++;
            }
            return i < s.length && s[i] == ':' ? i : -1;
        }

        private static Style style(DumperOptions.ScalarStyle style) {
            return switch (style) {
                case PLAIN -> Style.PLAIN;
                case SINGLE_QUOTED -> Style.SINGLE;
                case DOUBLE_QUOTED -> Style.DOUBLE;
                case LITERAL, FOLDED -> Style.BLOCK;
                default -> Style.PLAIN;
            };
        }
    }

    /**
     * SnakeYAML marks count code points; splices need bytes. Marks arrive in document order, so the conversion
     * walks forward from the last answer (starting over only when asked for an earlier one).
     */
    private static final class ByteOffsets {
        private final byte[] s;
        private int codePoint;
        private int offset;

        ByteOffsets(byte[] s) {
            this.s = s;
        }

        int of(int target) {
            if (target < codePoint) {
                codePoint = 0;
                offset = 0;
            }
            while (codePoint < target && offset < s.length) {
                int b = s[offset] & 0xff;
                offset += b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
                codePoint++;
            }
            return Math.min(offset, s.length);
        }
    }

    /** Finds the places in a JSON index with Jackson's byte offsets. */
    private static final class JsonLocator {
        private final byte[] s;
        private final List<Chart> charts = new ArrayList<>();
        private final List<Url> urls = new ArrayList<>();
        private Span emptyEntries;

        JsonLocator(byte[] s) {
            this.s = s;
        }

        IndexDocument locate() throws IOException {
            try (JsonParser parser = JSON.createParser(s)) {
                if (parser.nextToken() != JsonToken.START_OBJECT) {
                    throw new IOException("an index is a mapping");
                }
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String field = parser.currentName();
                    JsonToken value = parser.nextToken();
                    if ("entries".equals(field) && value == JsonToken.START_OBJECT) {
                        entries(parser);
                    } else {
                        parser.skipChildren();
                    }
                }
                if (parser.nextToken() != null) {
                    throw new IOException("text after the index's closing brace");
                }
            }
            return new IndexDocument(s, charts, urls, emptyEntries);
        }

        private void entries(JsonParser parser) throws IOException {
            int start = offset(parser.currentTokenLocation().getByteOffset());
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String chart = parser.currentName();
                int keyStart = offset(parser.currentTokenLocation().getByteOffset());
                if (parser.nextToken() != JsonToken.START_ARRAY) {
                    parser.skipChildren();
                    continue;
                }
                List<Version> versions = new ArrayList<>();
                while (parser.nextToken() == JsonToken.START_OBJECT) {
                    versions.add(version(parser, chart));
                }
                int end = offset(parser.currentTokenLocation().getByteOffset()) + 1;
                charts.add(new Chart(chart, List.copyOf(versions), new Extent(keyStart, end, true)));
            }
            int end = offset(parser.currentTokenLocation().getByteOffset()) + 1;
            emptyEntries = new Span(start, end, "{}".getBytes(StandardCharsets.US_ASCII));
        }

        private Version version(JsonParser parser, String chart) throws IOException {
            int start = offset(parser.currentTokenLocation().getByteOffset());
            List<String> values = new ArrayList<>();
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                if ("urls".equals(field) && value == JsonToken.START_ARRAY) {
                    while (parser.nextToken() != JsonToken.END_ARRAY) {
                        if (parser.currentToken() == JsonToken.VALUE_STRING) {
                            int at = offset(parser.currentTokenLocation().getByteOffset());
                            String text = parser.getText();
                            Url url = new Url(text, at, offset(parser.currentLocation().getByteOffset()), Style.JSON, true);
                            values.add(text);
                            urls.add(url);
                        } else {
                            parser.skipChildren();
                        }
                    }
                } else {
                    parser.skipChildren();
                }
            }
            int end = offset(parser.currentTokenLocation().getByteOffset()) + 1;
            return new Version(chart, List.copyOf(values), new Extent(start, end, true));
        }

        private int offset(long byteOffset) {
            if (byteOffset < 0 || byteOffset > s.length) {
                throw new IllegalStateException("the JSON parser reported no byte offset");
            }
            return (int) byteOffset;
        }
    }
}
