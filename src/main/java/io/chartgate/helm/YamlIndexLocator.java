package io.chartgate.helm;

import static io.chartgate.helm.IndexDocument.isBlank;
import static io.chartgate.helm.IndexDocument.lineEnd;
import static io.chartgate.helm.IndexDocument.lineStart;

import io.chartgate.helm.IndexDocument.AliasUse;
import io.chartgate.helm.IndexDocument.Anchor;
import io.chartgate.helm.IndexDocument.Chart;
import io.chartgate.helm.IndexDocument.Extent;
import io.chartgate.helm.IndexDocument.Located;
import io.chartgate.helm.IndexDocument.Span;
import io.chartgate.helm.IndexDocument.Style;
import io.chartgate.helm.IndexDocument.Url;
import io.chartgate.helm.IndexDocument.Version;
import java.io.ByteArrayInputStream;
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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.events.AliasEvent;
import org.yaml.snakeyaml.events.CollectionStartEvent;
import org.yaml.snakeyaml.events.Event;
import org.yaml.snakeyaml.events.MappingStartEvent;
import org.yaml.snakeyaml.events.NodeEvent;
import org.yaml.snakeyaml.events.ScalarEvent;

/** Finds the places in a YAML index: a walk over SnakeYAML's parse events with a stack of what holds what. */
final class YamlIndexLocator {

    private enum Role { ROOT, ENTRIES, CHART, VERSION, URLS, OTHER }

    private static final class Frame {
        final Role role;
        final boolean mapping;
        final boolean flow;
        final int start;
        /** A complex key ({@code ? [a, b]}): its mapping still awaits the value when it closes. */
        boolean isKey;
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
    private final Set<String> urlAnchors = new HashSet<>();
    private final Map<String, List<String>> listAnchors = new HashMap<>();
    private final Map<String, List<String>> versionAnchors = new HashMap<>();
    /** The end of the last thing read, in bytes: where a version or chart ends. */
    private int lastEnd;
    private int entriesColon = -1;
    private Span emptyEntries;
    /** Every anchored node with its events, and every alias: a view that cuts an anchor out writes it at its aliases. */
    private final List<Anchor> anchors = new ArrayList<>();
    private final List<AliasUse> aliasUses = new ArrayList<>();
    private final Map<String, Integer> anchorIndex = new HashMap<>();
    /** The anchored collections being read: {anchor index, nesting depth}. */
    private final List<int[]> capturing = new ArrayList<>();

    YamlIndexLocator(byte[] s) {
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
        return new IndexDocument(s, charts, urls, emptyEntries, anchors, aliasUses);
    }

    /** Records anchored nodes' events (scalars with their byte offsets) and where each alias is and names. */
    private void capture(Event event) {
        boolean scalar = event instanceof ScalarEvent;
        Integer aliased = event instanceof AliasEvent alias ? anchorIndex.get(alias.getAnchor()) : null;
        int start = scalar || aliased != null || !capturing.isEmpty()
                || (event instanceof NodeEvent node && node.getAnchor() != null) ? at(event.getStartMark()) : -1;
        if (!capturing.isEmpty()) {
            Located located = new Located(event, start, aliased == null ? -1 : aliased);
            for (int i = capturing.size() - 1; i >= 0; i--) {
                int[] open = capturing.get(i);
                anchors.get(open[0]).events().add(located);
                open[1] += event instanceof CollectionStartEvent ? 1
                        : event.is(Event.ID.MappingEnd) || event.is(Event.ID.SequenceEnd) ? -1 : 0;
                if (open[1] == 0) {
                    capturing.remove(i);
                }
            }
        }
        if (aliased != null) {
            aliasUses.add(new AliasUse(start, at(event.getEndMark()), aliased));
        } else if (event instanceof NodeEvent node && node.getAnchor() != null) {
            anchorIndex.put(node.getAnchor(), anchors.size());
            List<Located> events = new ArrayList<>();
            events.add(new Located(event, start, -1));
            anchors.add(new Anchor(node.getAnchor(), start, events));
            if (event instanceof CollectionStartEvent) {
                capturing.add(new int[] {anchors.size() - 1, 1});
            }
        }
    }

    private int at(Mark mark) {
        return offsets.of(mark.getIndex());
    }

    private void on(Event event) {
        capture(event);
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
        boolean complexKey = false;
        if (top == null) {
            role = mapping ? Role.ROOT : Role.OTHER;
        } else if (top.mapping && top.expectingKey) {
            top.key = null; // a complex key: nothing of an index
            top.expectingKey = false;
            complexKey = true;
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
        frame.isKey = complexKey;
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
                int lineBreak = IndexDocument.breakEndingAt(s, lineEnd); // the upstream's own: CR LF, LF, CR, NEL, LS or PS
                byte[] replacement = Arrays.copyOf(empty, empty.length + lineBreak);
                System.arraycopy(s, lineEnd - lineBreak, replacement, empty.length, lineBreak);
                emptyEntries = new Span(entriesColon, lineEnd, replacement);
            }
        }
        lastEnd = Math.max(lastEnd, frame.flow ? end : contentEnd);
        if (parent != null && !frame.isKey) { // after a complex key its mapping reads the value next
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
        while (true) {
            while (i >= 0 && isBlank(s[i])) {
                i--;
            }
            if (i < 0) {
                return position;
            }
            // between "- " and the item's first line only comments may stand ("- # note"): step back over one,
            // before looking for the dash (a comment may end with one)
            int line = i;
            while (line > 0 && s[line - 1] != '\n' && s[line - 1] != '\r') {
                line--;
            }
            int comment = -1;
            for (int j = line; j <= i && comment < 0; j++) {
                if (s[j] == '#' && (j == line || s[j - 1] == ' ' || s[j - 1] == '\t')) {
                    comment = j;
                }
            }
            if (comment < 0) {
                return s[i] == '-' ? i : position;
            }
            i = comment - 1;
        }
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

    /** A version's URLs while its mapping is being read. */
    private static final class VersionBuilder {
        final List<String> urls = new ArrayList<>();
        int start;
        boolean flow;
    }

    /**
     * SnakeYAML marks count code points; splices need bytes. Marks arrive nearly in document order, so the
     * conversion walks from the last answer, forward or back (the input is valid UTF-8: the reader checked it).
     */
    private static final class ByteOffsets {
        private final byte[] s;
        private int codePoint;
        private int offset;

        ByteOffsets(byte[] s) {
            this.s = s;
        }

        int of(int target) {
            while (codePoint > target && offset > 0) { // back over one code point: its lead byte and continuations
                offset--;
                while (offset > 0 && (s[offset] & 0xc0) == 0x80) {
                    offset--;
                }
                codePoint--;
            }
            while (codePoint < target && offset < s.length) {
                int b = s[offset] & 0xff;
                offset += b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
                codePoint++;
            }
            return Math.min(offset, s.length);
        }
    }
}
