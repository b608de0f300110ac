package io.chartgate.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PathGlobTest {

    @ParameterizedTest(name = "{0} ~ {1} = {2}")
    @CsvSource(delimiter = '|', textBlock = """
            /**                  | /                        | true
            /**                  | /a/b/c                   | true
            /x/**                | /x                       | true
            /x/**                | /x/                      | true
            /x/**                | /x/y/z                   | true
            /x/**                | /xy                      | false
            /x/**                | /y/x                     | false
            /charts/*            | /charts/a.tgz            | true
            /charts/*            | /charts                  | false
            /charts/*            | /charts/a/b.tgz          | false
            /charts/*.tgz        | /charts/a-1.0.0.tgz      | true
            /charts/*.tgz        | /charts/a-1.0.0.tgz.prov | false
            /charts/*.tgz*       | /charts/a.tgz.prov       | true
            /api/charts          | /api/charts              | true
            /api/charts          | /api/charts/x            | false
            /api/charts          | /API/charts              | false
            /api/*/charts/**     | /api/team/charts/a/1.0   | true
            /api/*/charts/**     | /api/team/x/charts       | false
            /a/**/z              | /a/z                     | true
            /a/**/z              | /a/b/c/z                 | true
            /a/**/z              | /a/b/c/y                 | false
            /                    | /                        | true
            /                    | /a                       | false
            /index.yaml          | /index.yaml              | true
            /*/index.yaml        | /team/index.yaml         | true
            /*/index.yaml        | /index.yaml              | false
            /**/**/x             | /x                       | true
            /**/**/x             | /a/b/x                   | true
            /a/**/b/**/c         | /a/b/c                   | true
            /a/**/b/**/c         | /a/x/b/y/z/c             | true
            /a/**/b/**/c         | /a/x/c/y/b               | false
            """)
    void globsMatchCanonicalPaths(String glob, String path, boolean expected) {
        CanonicalPath p = ((CanonicalPath.Canonical) CanonicalPath.parse(path)).path();
        assertEquals(expected, PathGlob.compile(glob).matches(p));
    }

    /**
     * Trying every split of every {@code **} took about C(2000, k) steps for k of them (10 s for three, hours for
     * four), so a client could hang a policy check with a long path. The timeout only guards against that
     * blow-up; it measures nothing.
     */
    @Test
    void severalDoubleStarsAgainstTwoThousandSegmentsStayPolynomial() {
        CanonicalPath deep = ((CanonicalPath.Canonical) CanonicalPath.parse("/a".repeat(2000) + "/b")).path();
        assertFalse(assertTimeoutPreemptively(Duration.ofSeconds(30), () -> PathGlob.compile("/**/**/**/x").matches(deep)));
        assertFalse(assertTimeoutPreemptively(Duration.ofSeconds(30), () -> PathGlob.compile("/**/**/**/**/x").matches(deep)));
        assertTrue(PathGlob.compile("/**/a/**/**/b").matches(deep));
    }
}
