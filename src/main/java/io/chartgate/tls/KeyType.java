package io.chartgate.tls;

/** Key algorithms the built-in CA can generate. EC P-256 is the default: small, fast, and what helm accepts. */
public enum KeyType {
    EC_P256("EC", 256, "SHA256withECDSA"),
    RSA_2048("RSA", 2048, "SHA256withRSA"),
    RSA_4096("RSA", 4096, "SHA256withRSA");

    final String algorithm;
    final int size;
    final String signatureAlgorithm;

    KeyType(String algorithm, int size, String signatureAlgorithm) {
        this.algorithm = algorithm;
        this.size = size;
        this.signatureAlgorithm = signatureAlgorithm;
    }
}
