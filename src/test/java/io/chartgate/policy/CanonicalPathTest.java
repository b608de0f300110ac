package io.chartgate.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CanonicalPathTest {

    private static CanonicalPath accept(String target) {
        CanonicalPath.Result r = CanonicalPath.parse(target);
        return assertInstanceOf(CanonicalPath.Canonical.class, r, () -> target + " was " + r).path();
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
            /                              | /                          | /
            /index.yaml                    | /index.yaml                | /index.yaml
            //charts///x.tgz               | /charts/x.tgz              | /charts/x.tgz
            /charts/                       | /charts/                   | /charts/
            /api/charts/                   | /api/charts/               | /api/charts/
            /charts/my%20chart-1.0.0.tgz   | /charts/my chart-1.0.0.tgz | /charts/my%20chart-1.0.0.tgz
            /charts/%7Euser                | /charts/~user              | /charts/~user
            /charts/caf%C3%A9.tgz          | /charts/café.tgz           | /charts/caf%C3%A9.tgz
            /a/.hidden/b                   | /a/.hidden/b               | /a/.hidden/b
            /a/...                         | /a/...                     | /a/...
            /a/..b/c                       | /a/..b/c                   | /a/..b/c
            /100%25done                    | /100%done                  | /100%25done
            /charts/a+b@c:d                | /charts/a+b@c:d            | /charts/a+b@c:d
            """)
    void acceptedTargetsHaveOneCanonicalFormForPolicyAndUpstream(String target, String path, String encoded) {
        CanonicalPath p = accept(target);
        assertEquals(path, p.path());
        assertEquals(encoded, p.encoded());
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
            ""                                   | empty request target
            http://evil.example/index.yaml       | absolute-form request targets are not accepted (send the path only)
            HTTPS://gw/x                         | absolute-form request targets are not accepted (send the path only)
            charts.example.com:443               | the request target must be a path starting with / (authority-form and CONNECT are not accepted)
            *                                    | asterisk-form request targets are not accepted
            index.yaml                           | the request target must be a path starting with / (authority-form and CONNECT are not accepted)
            /charts/../secret                    | the path holds a '..' segment
            /..                                  | the path holds a '..' segment
            /charts/./x                          | the path holds a '.' segment
            /charts/.                            | the path holds a '.' segment
            /charts/%2e%2e/secret                | the path holds a '..' segment
            /charts/%2E%2E/secret                | the path holds a '..' segment
            /charts/.%2e/secret                  | the path holds a '..' segment
            /charts/%2e/x                        | the path holds a '.' segment
            /charts/..;/secret                   | the path holds a '..' segment
            /charts/..;jsessionid=1/secret       | the path holds a '..' segment
            /charts/.;x/y                        | the path holds a '.' segment
            /a;v=1/b                             | the path holds a ';' (a path parameter, which some servers cut off)
            /charts/secret-1.0.0.tgz;.prov       | the path holds a ';' (a path parameter, which some servers cut off)
            /charts/secret-1.0.0.tgz%3B.prov     | the path holds a ';' (a path parameter, which some servers cut off)
            /charts/secret-1.0.0.tgz%3b.prov     | the path holds a ';' (a path parameter, which some servers cut off)
            /charts%2F..%2Fsecret                | the path holds an encoded slash (%2F)
            /charts%2fx                          | the path holds an encoded slash (%2F)
            /charts/x%5C..%5Csecret              | the path holds an encoded backslash (%5C)
            /charts\\..\\secret                  | the path holds a backslash
            /charts/%252e%252e/secret            | the path is double-encoded (a % that would decode again)
            /charts/%252F                        | the path is double-encoded (a % that would decode again)
            /charts/%25%32%65                    | the path is double-encoded (a % that would decode again)
            /charts/%                            | the path holds a % not followed by two hex digits
            /charts/%2                           | the path holds a % not followed by two hex digits
            /charts/%zz                          | the path holds a % not followed by two hex digits
            /charts/%u002e%u002e/x               | the path holds a % not followed by two hex digits
            /charts/%00.tgz                      | the path holds a control character or NUL
            /charts/%0d%0aX-Evil:%201            | the path holds a control character or NUL
            /charts/%7f                          | the path holds a control character or NUL
            /charts/%c2%85                       | the path holds a control character or NUL
            /charts/%c0%ae%c0%ae/secret          | the path is not valid UTF-8 once decoded (overlong or broken sequences are refused)
            /charts/%c0%af                       | the path is not valid UTF-8 once decoded (overlong or broken sequences are refused)
            /charts/%e0%80%ae                    | the path is not valid UTF-8 once decoded (overlong or broken sequences are refused)
            /charts/%ff                          | the path is not valid UTF-8 once decoded (overlong or broken sequences are refused)
            /charts/%c3                          | the path is not valid UTF-8 once decoded (overlong or broken sequences are refused)
            /charts/%ed%a0%80                    | the path is not valid UTF-8 once decoded (overlong or broken sequences are refused)
            /charts/x#frag                       | the request target holds a fragment (#)
            /charts/a b                          | the request target holds a raw control character, space or non-ASCII byte (percent-encode it)
            /charts/café                         | the request target holds a raw control character, space or non-ASCII byte (percent-encode it)
            """)
    void ambiguousTargetsAreRejectedWithAReason(String target, String reason) {
        CanonicalPath.Result r = CanonicalPath.parse(target);
        assertEquals(new CanonicalPath.Rejected(reason), r);
    }

    @Test
    void rawControlCharactersAreRejected() {
        for (String target : new String[] {"/a\u0000b", "/a\rb", "/a\nb", "/a\tb", "/a\u007fb"}) {
            assertInstanceOf(CanonicalPath.Rejected.class, CanonicalPath.parse(target), target);
        }
    }

    @Test
    void theQueryIsKeptAsSentAndIsNotPartOfThePath() {
        CanonicalPath p = accept("/api/charts?offset=10&name=a%2Fb");
        assertEquals("/api/charts", p.path());
        assertEquals("offset=10&name=a%2Fb", p.rawQuery());
        assertEquals("/api/charts?offset=10&name=a%2Fb", p.encodedTarget());
        assertNull(accept("/x").rawQuery());
    }

    @Test
    void encodingIsStableUnderASecondParse() {
        for (String target : new String[] {"/charts/my%20chart.tgz", "/a/caf%C3%A9", "/x%22z%22", "/100%25"}) {
            CanonicalPath once = accept(target);
            CanonicalPath twice = accept(once.encoded());
            assertEquals(once.path(), twice.path(), target);
        }
    }

    @Test
    void segmentsAreTheDecodedNonEmptyParts() {
        assertEquals(java.util.List.of("charts", "a b", "x.tgz"), accept("//charts/a%20b//x.tgz").segments());
        assertTrue(accept("/").segments().isEmpty());
    }
}
