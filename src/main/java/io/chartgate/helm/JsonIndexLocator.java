package io.chartgate.helm;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.chartgate.helm.IndexDocument.Chart;
import io.chartgate.helm.IndexDocument.Extent;
import io.chartgate.helm.IndexDocument.Span;
import io.chartgate.helm.IndexDocument.Style;
import io.chartgate.helm.IndexDocument.Url;
import io.chartgate.helm.IndexDocument.Version;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Finds the places in a JSON index with Jackson's byte offsets. */
final class JsonIndexLocator {

    private static final JsonFactory JSON = new JsonFactory();

    private final byte[] s;
    private final List<Chart> charts = new ArrayList<>();
    private final List<Url> urls = new ArrayList<>();
    private Span emptyEntries;

    JsonIndexLocator(byte[] s) {
        this.s = s;
    }

    IndexDocument locate() throws IOException {
        requireUtf8();
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

    /**
     * Refuses bytes that are not UTF-8, as the YAML reader does: Jackson skips over what it does not read (a name
     * or value of no interest) without checking it, and a view would serve it on.
     */
    private void requireUtf8() throws IOException {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(s);
        CharBuffer out = CharBuffer.allocate(8192);
        while (true) {
            CoderResult result = decoder.decode(in, out, true);
            if (result.isError()) {
                throw new IOException("the index is not valid UTF-8 (at byte " + in.position() + ")");
            }
            out.clear();
            if (result.isUnderflow()) {
                return;
            }
        }
    }

    private int offset(long byteOffset) {
        if (byteOffset < 0 || byteOffset > s.length) {
            throw new IllegalStateException("the JSON parser reported no byte offset");
        }
        return (int) byteOffset;
    }
}
