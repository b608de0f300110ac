package io.chartgate.identity;

import java.util.ArrayList;
import java.util.List;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.util.encoders.Hex;

/**
 * A parsed distinguished name: its RDNs in certificate order (most general first) and its RFC 4514 text
 * (most specific first). Matching works on the parsed attributes, never on the text, so a CN holding
 * {@code "frank,OU=engineering"} is one CN value and not an OU.
 */
public record DistinguishedName(List<Rdn> rdns, String rfc4514) {

    /** One attribute of an RDN: its OID, its short name (CN, OU, …, or the OID) and its string value. */
    public record Attribute(String oid, String name, String value) {
    }

    /** A relative distinguished name; usually one attribute, several for a multi-valued RDN (a+b). */
    public record Rdn(List<Attribute> attributes) {

        public Rdn {
            attributes = List.copyOf(attributes);
        }
    }

    public DistinguishedName {
        rdns = List.copyOf(rdns);
    }

    /** The DN of a certificate's subject or issuer. */
    public static DistinguishedName of(X500Principal principal) {
        return new DistinguishedName(rdns(X500Name.getInstance(principal.getEncoded()).getRDNs()),
                principal.getName(X500Principal.RFC2253));
    }

    /**
     * Parses an RFC 4514 string ({@code CN=bob,OU=engineering,O=Acme}: most specific first, {@code \,} escapes)
     * into certificate order.
     *
     * @throws IllegalArgumentException when the text is not a DN
     */
    public static DistinguishedName parse(String rfc4514) {
        RDN[] parsed;
        try {
            parsed = IETFUtils.rDNsFromString(rfc4514, BCStyle.INSTANCE);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a distinguished name: " + e.getMessage(), e);
        }
        if (parsed.length == 0) {
            throw new IllegalArgumentException("not a distinguished name: it is empty");
        }
        RDN[] certificateOrder = new RDN[parsed.length];
        for (int i = 0; i < parsed.length; i++) {
            certificateOrder[parsed.length - 1 - i] = parsed[i];
            for (AttributeTypeAndValue tv : parsed[i].getTypesAndValues()) {
                if (tv.getValue() == null) { // Bouncy Castle leaves a "#" value that is not hex without a value
                    throw new IllegalArgumentException("not a distinguished name: the value of " + tv.getType() + " is not a valid #hex encoding");
                }
            }
        }
        return new DistinguishedName(rdns(certificateOrder), rfc4514);
    }

    /** Every value of the attribute {@code oid}, in certificate order. */
    public List<String> values(ASN1ObjectIdentifier oid) {
        List<String> values = new ArrayList<>();
        for (Rdn rdn : rdns) {
            for (Attribute a : rdn.attributes()) {
                if (a.oid().equals(oid.getId())) {
                    values.add(a.value());
                }
            }
        }
        return values;
    }

    private static List<Rdn> rdns(RDN[] rdns) {
        List<Rdn> result = new ArrayList<>();
        for (RDN rdn : rdns) {
            List<Attribute> attributes = new ArrayList<>();
            for (AttributeTypeAndValue tv : rdn.getTypesAndValues()) {
                ASN1ObjectIdentifier type = tv.getType();
                String name = BCStyle.INSTANCE.oidToDisplayName(type);
                attributes.add(new Attribute(type.getId(), name == null ? type.getId() : name, text(tv.getValue())));
            }
            result.add(new Rdn(attributes));
        }
        return result;
    }

    private static String text(ASN1Encodable value) {
        if (value instanceof ASN1String s) {
            return s.getString();
        }
        try {
            return "#" + Hex.toHexString(value.toASN1Primitive().getEncoded());
        } catch (java.io.IOException e) {
            return "#";
        }
    }
}
