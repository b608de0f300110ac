package io.chartgate.tls;

import java.time.Instant;
import java.util.List;

/**
 * What to put in a certificate the built-in CA issues. Subject attributes go into the DN in the order
 * O, OU, CN (most general first, as certificates conventionally hold them). Lists may be empty.
 */
public record CertificateRequest(
        Usage usage,
        String cn,
        List<String> ou,
        List<String> o,
        List<String> sanDns,
        List<String> sanIp,
        List<String> sanUri,
        List<String> sanEmail,
        Instant notBefore,
        Instant notAfter,
        KeyType keyType) {

    /** Which extended key usage the certificate carries. */
    public enum Usage {
        CLIENT,
        SERVER
    }

    public CertificateRequest {
        ou = List.copyOf(ou);
        o = List.copyOf(o);
        sanDns = List.copyOf(sanDns);
        sanIp = List.copyOf(sanIp);
        sanUri = List.copyOf(sanUri);
        sanEmail = List.copyOf(sanEmail);
    }

    /** A client certificate for {@code cn}, valid from an hour ago for {@code days} days, EC P-256. */
    public static CertificateRequest client(String cn, int days) {
        Instant now = Instant.now();
        return new CertificateRequest(Usage.CLIENT, cn, List.of(), List.of(), List.of(), List.of(), List.of(), List.of(),
                now.minusSeconds(3600), now.plusSeconds(86_400L * days), KeyType.EC_P256);
    }

    /** A server certificate for {@code cn} with the given DNS names and IP addresses. */
    public static CertificateRequest server(String cn, List<String> dns, List<String> ips, int days) {
        Instant now = Instant.now();
        return new CertificateRequest(Usage.SERVER, cn, List.of(), List.of(), dns, ips, List.of(), List.of(),
                now.minusSeconds(3600), now.plusSeconds(86_400L * days), KeyType.EC_P256);
    }

    public CertificateRequest withOu(String... values) {
        return new CertificateRequest(usage, cn, List.of(values), o, sanDns, sanIp, sanUri, sanEmail, notBefore, notAfter, keyType);
    }

    public CertificateRequest withO(String... values) {
        return new CertificateRequest(usage, cn, ou, List.of(values), sanDns, sanIp, sanUri, sanEmail, notBefore, notAfter, keyType);
    }

    public CertificateRequest withSans(List<String> dns, List<String> ip, List<String> uri, List<String> email) {
        return new CertificateRequest(usage, cn, ou, o, dns, ip, uri, email, notBefore, notAfter, keyType);
    }

    public CertificateRequest withValidity(Instant from, Instant to) {
        return new CertificateRequest(usage, cn, ou, o, sanDns, sanIp, sanUri, sanEmail, from, to, keyType);
    }

    public CertificateRequest withKeyType(KeyType type) {
        return new CertificateRequest(usage, cn, ou, o, sanDns, sanIp, sanUri, sanEmail, notBefore, notAfter, type);
    }
}
