package io.chartgate.upstream.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class RegistryCredentialsTest {

    @Test
    void readsABearerChallengesRealmAndService() {
        var bearer = assertInstanceOf(RegistryCredentials.Bearer.class, RegistryCredentials.parse(
                "Bearer realm=\"https://auth.example/token\",service=\"registry.example\",scope=\"repository:a:pull\""));
        assertEquals("https://auth.example/token", bearer.realm().toString());
        assertEquals("registry.example", bearer.service());
    }

    @Test
    void readsBasic() {
        assertInstanceOf(RegistryCredentials.Basic.class, RegistryCredentials.parse("Basic realm=\"chartgate-test\""));
    }

    @Test
    void refusesARealmThatIsNoHttpUrlAndUnknownSchemes() {
        assertThrows(IllegalStateException.class, () -> RegistryCredentials.parse("Bearer realm=\"file:///etc/passwd\""));
        assertThrows(IllegalStateException.class, () -> RegistryCredentials.parse("Bearer service=\"x\""));
        assertThrows(IllegalStateException.class, () -> RegistryCredentials.parse("Negotiate"));
        assertThrows(IllegalStateException.class, () -> RegistryCredentials.parse(null));
    }
}
