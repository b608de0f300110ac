package io.chartgate.config;

/** Where a route's requests go: an HTTP server, an S3 bucket, a local directory or an OCI registry. */
public sealed interface UpstreamConfig permits HttpUpstreamConfig, S3UpstreamConfig, FileUpstreamConfig,
        OciUpstreamConfig {

    /** The {@code type} value that selects this kind in YAML. */
    String type();

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
