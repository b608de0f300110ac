package io.chartgate.config;

/**
 * How an S3 upload's body is signed: {@code unsigned} streams it with {@code UNSIGNED-PAYLOAD}; {@code spool}
 * writes it to a temporary file (bounded by {@code maxBodyBytes}) first, for stores that refuse unsigned
 * payloads, so its SHA-256 can be signed.
 */
public enum PayloadSigning {
    UNSIGNED,
    SPOOL
}
