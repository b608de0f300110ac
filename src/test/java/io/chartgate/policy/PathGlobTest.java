package io.chartgate.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
            """)
    void globsMatchCanonicalPaths(String glob, String path, boolean expected) {
        CanonicalPath p = ((CanonicalPath.Canonical) CanonicalPath.parse(path)).path();
        assertEquals(expected, PathGlob.compile(glob).matches(p));
    }
}
