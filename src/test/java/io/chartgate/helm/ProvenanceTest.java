package io.chartgate.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The parts of provenance checking that need no signature; signed files come from helm in ProvenanceIT. */
class ProvenanceTest {

    private static final String TEXT = """
            apiVersion: v2
            name: demo
            version: 0.1.0

            ...
            files:
              demo-0.1.0.tgz: sha256:AB12
            """;

    @Test
    void theFilesMapIsReadFromTheSecondDocument() throws Exception {
        assertEquals(Map.of("demo-0.1.0.tgz", "ab12"), Provenance.files(TEXT));
        assertEquals("malformed", assertThrows(Provenance.Refused.class, () -> Provenance.files("name: x\n")).reason());
    }

    @Test
    void theDigestMustMatchUnderTheChartsNameOrAnywhereWhenTheNameIsUnknown() throws Exception {
        Provenance.Signed signed = new Provenance.Signed("k", Map.of("demo-0.1.0.tgz", "ab12"));
        byte[] right = HexFormat.of().parseHex("ab12");
        Provenance.checkDigest(signed, "demo-0.1.0.tgz", right);
        Provenance.checkDigest(signed, null, right);
        assertEquals("digest_mismatch", assertThrows(Provenance.Refused.class,
                () -> Provenance.checkDigest(signed, "demo-0.1.0.tgz", HexFormat.of().parseHex("ab13"))).reason());
        assertEquals("digest_mismatch", assertThrows(Provenance.Refused.class,
                () -> Provenance.checkDigest(signed, "other-1.0.0.tgz", HexFormat.of().parseHex("ab13"))).reason());
    }

    @Test
    void anUnsignedOrGarbledFileIsRefusedWithItsReason(@TempDir Path dir) throws Exception {
        assertEquals("unsigned", assertThrows(Provenance.Refused.class,
                () -> Provenance.verify(TEXT.getBytes(), null)).reason());
        Path notKeys = Files.writeString(dir.resolve("pubring.gpg"), "not a keyring");
        assertThrows(java.io.IOException.class, () -> Provenance.keyring(notKeys));
    }
}
