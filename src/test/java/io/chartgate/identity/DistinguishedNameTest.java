package io.chartgate.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DistinguishedNameTest {

    @Test
    void aDnIsParsedIntoCertificateOrder() {
        DistinguishedName dn = DistinguishedName.parse("CN=frank\\,OU=engineering,O=Acme");
        assertEquals(List.of("O", "CN"), dn.rdns().stream().map(r -> r.attributes().get(0).name()).toList());
        assertEquals("frank,OU=engineering", dn.rdns().get(1).attributes().get(0).value());
    }

    /** Found by DistinguishedNameFuzzTest: a '#' value that is not hex came out as a NullPointerException. */
    @ParameterizedTest(name = "[{index}]")
    @ValueSource(strings = {"CN=#\u045c", "CN=#zz", "CN=#0", "", "CN", "=bob"})
    void textThatIsNoDnIsAnIllegalArgument(String text) {
        assertThrows(IllegalArgumentException.class, () -> DistinguishedName.parse(text));
    }
}
