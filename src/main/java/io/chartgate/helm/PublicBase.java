package io.chartgate.helm;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Where clients reach the gateway, for the chart URLs of a rewritten index: {@code server.publicUrl} when set;
 * else the request's {@code Host} when it names the server certificate (one of its DNS or IP subject alternative
 * names, exactly, with any port); else the certificate's first name. A client can so choose among the names the
 * certificate already vouches for, never mint a base (or a cache entry) of its own.
 */
public final class PublicBase {

    private static final Pattern PORT = Pattern.compile("[0-9]{1,5}");

    private final String configured;
    private final List<String> dnsNames;
    private final List<InetAddress> addresses;
    private final String fallback;

    /**
     * @param publicUrl {@code server.publicUrl}, or null
     * @param names the server certificate's DNS and IP subject alternative names in order (its CN when it has none)
     */
    public PublicBase(URI publicUrl, List<String> names) {
        this.configured = publicUrl == null ? null : publicUrl.toString();
        this.dnsNames = names.stream().filter(n -> !isAddress(n)).map(n -> n.toLowerCase(Locale.ROOT)).toList();
        this.addresses = names.stream().filter(PublicBase::isAddress).map(PublicBase::address).toList();
        String first = names.stream().filter(n -> !n.startsWith("*.")).findFirst().orElse("localhost");
        this.fallback = first.contains(":") ? "[" + first + "]" : first;
    }

    /** The base ({@code https://host[:port]}, no trailing '/') for a request with this {@code Host} (may be null). */
    public String of(String hostHeader) {
        if (configured != null) {
            return configured;
        }
        if (hostHeader == null || hostHeader.isEmpty()) {
            return "https://" + fallback;
        }
        String host = hostHeader;
        String port = null;
        int colon = hostHeader.lastIndexOf(':');
        if (colon > hostHeader.lastIndexOf(']')) {
            host = hostHeader.substring(0, colon);
            port = hostHeader.substring(colon + 1);
            if (!PORT.matcher(port).matches() || Integer.parseInt(port) > 65535) {
                return "https://" + fallback;
            }
        }
        String suffix = port == null ? "" : ":" + Integer.parseInt(port);
        if (host.startsWith("[") && host.endsWith("]")) {
            InetAddress address = literal(host.substring(1, host.length() - 1));
            return address != null && addresses.contains(address) ? "https://" + host.toLowerCase(Locale.ROOT) + suffix
                    : "https://" + fallback + suffix;
        }
        String lower = host.toLowerCase(Locale.ROOT);
        if (dnsNames.contains(lower)) {
            return "https://" + lower + suffix;
        }
        InetAddress address = literal(lower);
        if (address != null && addresses.contains(address)) {
            return "https://" + lower + suffix;
        }
        return "https://" + fallback + suffix;
    }

    private static boolean isAddress(String name) {
        return name.contains(":") || name.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}");
    }

    private static InetAddress address(String name) {
        InetAddress address = literal(name);
        if (address == null) {
            throw new IllegalArgumentException("not an IP address: " + name);
        }
        return address;
    }

    /** An IP literal parsed without any name lookup; null for anything else. */
    private static InetAddress literal(String text) {
        if (!isAddress(text) || !text.matches("[0-9a-fA-F:.]+")) {
            return null;
        }
        try {
            return InetAddress.getByName(text);
        } catch (UnknownHostException e) {
            return null;
        }
    }
}
