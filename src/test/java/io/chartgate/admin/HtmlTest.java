package io.chartgate.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

class HtmlTest {

    @Test
    void aScriptTagBecomesText() {
        assertEquals("CN=&lt;script&gt;alert(1)&lt;/script&gt;", Html.escape("CN=<script>alert(1)</script>"));
    }

    @Test
    void ampersandsAndBothQuotesAreEscapedSoAttributeValuesCannotBeClosed() {
        assertEquals("a&amp;b &quot;x&quot; onmouseover=&#39;y&#39;", Html.escape("a&b \"x\" onmouseover='y'"));
        assertEquals("&amp;lt;", Html.escape("&lt;"), "an entity in the input is shown as written, not decoded");
    }

    @Test
    void controlCharactersAreReplacedAndWhitespaceKept() {
        assertEquals("a\uFFFDb\uFFFDc\td\ne\r", Html.escape("a\u0000b\u007fc\td\ne\r"));
    }

    @Test
    void otherScriptsAndCharactersOutsideTheBmpAreKeptWhole() {
        String text = "Zoë Ünal 山田 \uD83D\uDE80";
        assertSame(text, Html.escape(text), "nothing to escape: the same string, not a copy");
    }

    @Test
    void nullIsEmpty() {
        assertEquals("", Html.escape(null));
    }
}
