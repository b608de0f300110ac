package io.chartgate.config;

import java.util.Arrays;
import java.util.List;

/** The certificate fields a policy rule may match on, with their YAML names. */
public enum MatchKey {
    SUBJECT("subject"),
    CN("cn"),
    OU("ou"),
    O("o"),
    SAN_DNS("sanDns"),
    SAN_URI("sanUri"),
    SAN_EMAIL("sanEmail"),
    FINGERPRINT("fingerprint"),
    ISSUER("issuer"),
    ISSUER_FINGERPRINT("issuerFingerprint"),
    SERIAL("serial");

    private final String yamlName;

    MatchKey(String yamlName) {
        this.yamlName = yamlName;
    }

    public String yamlName() {
        return yamlName;
    }

    public static List<String> yamlNames() {
        return Arrays.stream(values()).map(MatchKey::yamlName).toList();
    }

    public static MatchKey fromYaml(String name) {
        for (MatchKey k : values()) {
            if (k.yamlName.equals(name)) {
                return k;
            }
        }
        return null;
    }
}
