package io.chartgate.identity;

import java.time.Instant;
import java.util.List;

/**
 * Who is calling, from a verified client certificate: every field a policy rule may match, already parsed.
 * {@link #ANONYMOUS} stands for a client without a certificate ({@code clientAuth: optional}).
 *
 * @param subject the subject DN (RFC 4514 text and parsed RDNs)
 * @param cn the common name (the last CN in certificate order, as Go reads it), or null
 * @param fingerprint lowercase hex SHA-256 of the certificate's DER, no colons
 * @param issuer the subject DN of the configured CA at the root of the verified chain (never an intermediate's)
 * @param issuerFingerprint lowercase hex SHA-256 of that CA certificate's DER, or null when it is not known
 * @param serial lowercase hex, no leading zeros
 */
public record ClientIdentity(
        DistinguishedName subject,
        String cn,
        List<String> ou,
        List<String> o,
        List<String> sanDns,
        List<String> sanUri,
        List<String> sanEmail,
        List<String> sanIp,
        String fingerprint,
        DistinguishedName issuer,
        String issuerFingerprint,
        String serial,
        Instant notAfter) {

    public static final ClientIdentity ANONYMOUS = new ClientIdentity(new DistinguishedName(List.of(), ""), null,
            List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), null,
            new DistinguishedName(List.of(), ""), null, null, null);

    public ClientIdentity {
        ou = List.copyOf(ou);
        o = List.copyOf(o);
        sanDns = List.copyOf(sanDns);
        sanUri = List.copyOf(sanUri);
        sanEmail = List.copyOf(sanEmail);
        sanIp = List.copyOf(sanIp);
    }

    public boolean isAnonymous() {
        return fingerprint == null;
    }

    /** The short name for messages and metrics: the CN, else the subject DN, else "anonymous". */
    public String principal() {
        if (isAnonymous()) {
            return "anonymous";
        }
        return cn != null ? cn : subject.rfc4514();
    }
}
