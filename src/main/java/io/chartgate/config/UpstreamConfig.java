package io.chartgate.config;

/** Where a route's requests go: an HTTP server, an S3 bucket, a local directory or an OCI registry. */
public sealed interface UpstreamConfig permits HttpUpstreamConfig, S3UpstreamConfig, FileUpstreamConfig,
        OciUpstreamConfig {

    /** The {@code type} value that selects this kind in YAML. */
    String type();

    /**
     * What to do with each kind of upstream, one method per kind: a new kind adds a method here, and every place
     * that chooses by kind (the adapters, the probe, the status page) fails to compile until it says what to do.
     */
    interface Kinds<T> {
        T http(HttpUpstreamConfig http);

        T s3(S3UpstreamConfig s3);

        T file(FileUpstreamConfig file);

        T oci(OciUpstreamConfig oci);
    }

    /** The case of {@code kinds} for this upstream's kind. */
    <T> T match(Kinds<T> kinds);

    /** How the route serves index files. */
    IndexOptions index();

    /**
     * {@code requireProvenance.keyring}: chart uploads through the route need a {@code .prov} that a key of this
     * OpenPGP keyring signed and that vouches for the uploaded bytes; null when uploads need none.
     */
    default java.nio.file.Path provenanceKeyring() {
        return null;
    }
}
