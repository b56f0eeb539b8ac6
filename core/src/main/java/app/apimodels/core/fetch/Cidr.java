package app.apimodels.core.fetch;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * A block of IP addresses ({@code 10.0.0.0/8}, {@code fd00::/8}, or one address): used to judge
 * where the fetcher may go and which peers are trusted proxies. Only literals are parsed, never a
 * host name, so reading one never asks DNS.
 */
public record Cidr(byte[] prefix, int bits) {

    /** {@code address/bits}, or a single address (all its bits); IllegalArgumentException if it is not one. */
    public static Cidr parse(String spec) {
        String s = spec.trim();
        int slash = s.indexOf('/');
        byte[] address = literal(slash < 0 ? s : s.substring(0, slash));
        int bits = address.length * 8;
        if (slash >= 0) {
            String b = s.substring(slash + 1);
            if (!b.matches("[0-9]{1,3}") || Integer.parseInt(b) > bits) {
                throw new IllegalArgumentException("'" + spec + "' has no valid prefix length");
            }
            bits = Integer.parseInt(b);
        }
        return new Cidr(address, bits);
    }

    /** The bytes of an IPv4 or IPv6 literal; IllegalArgumentException for anything else (names included). */
    public static byte[] literal(String literal) {
        String s = literal.trim();
        if (s.startsWith("[") && s.endsWith("]")) {
            s = s.substring(1, s.length() - 1);
        }
        boolean v6 = s.indexOf(':') >= 0;
        if (s.isEmpty() || s.length() > 45 || !s.matches(v6 ? "[0-9A-Fa-f:.]+" : "[0-9]{1,3}(\\.[0-9]{1,3}){3}")) {
            throw new IllegalArgumentException("'" + literal + "' is not an IP address");
        }
        if (!v6) {
            // Checked here: the JDK would take "300.1.1.1" for a host name and ask DNS.
            for (String octet : s.split("\\.")) {
                if (Integer.parseInt(octet) > 255) {
                    throw new IllegalArgumentException("'" + literal + "' is not an IP address");
                }
            }
        }
        try {
            return InetAddress.getByName(v6 ? "[" + s + "]" : s).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("'" + literal + "' is not an IP address");
        }
    }

    public boolean contains(byte[] address) {
        if (address.length != prefix.length) {
            return false;
        }
        for (int i = 0; i < bits; i++) {
            int mask = 0x80 >>> (i % 8);
            if ((address[i / 8] & mask) != (prefix[i / 8] & mask)) {
                return false;
            }
        }
        return true;
    }
}
