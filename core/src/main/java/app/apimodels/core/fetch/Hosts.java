package app.apimodels.core.fetch;

import java.net.IDN;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One canonical spelling per host, so that the allow-list, the metadata-name check, the address check
 * and the connection all see the same thing. Numeric hosts are read the way browsers, curl and the C
 * resolver read them (the WHATWG URL "ends in a number" rule: {@code 2130706433}, {@code 0177.0.0.1},
 * {@code 0x7f.1}, {@code 127.1} are all 127.0.0.1) and turned into dotted decimal here; the JDK would
 * read {@code 0177.0.0.1} as 177.0.0.1, a different machine from the one the user meant.
 */
final class Hosts {

    /** Names that reach a cloud metadata service whatever they resolve to from here. */
    private static final Set<String> METADATA_NAMES = Set.of("metadata.google.internal", "metadata");

    private Hosts() {
    }

    /**
     * The canonical host for {@code raw} as it appears in a URL authority (IPv6 in brackets): lower case,
     * IDN as ASCII, numeric IPv4 as dotted decimal, IPv6 without brackets.
     *
     * @throws IllegalArgumentException saying what is wrong, if {@code raw} is not a host
     */
    static String canonical(String raw) {
        if (raw.isEmpty()) {
            throw new IllegalArgumentException("the host is empty");
        }
        if (raw.startsWith("[")) {
            if (!raw.endsWith("]")) {
                throw new IllegalArgumentException("unterminated IPv6 literal");
            }
            String inner = raw.substring(1, raw.length() - 1).toLowerCase(Locale.ROOT);
            ipv6(inner);
            return inner;
        }
        String ascii;
        try {
            ascii = IDN.toASCII(raw).toLowerCase(Locale.ROOT);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid host name");
        }
        List<String> labels = labels(ascii);
        if (endsInNumber(labels)) {
            return dotted(ipv4(labels));
        }
        if (ascii.length() > 253 || labels.stream().anyMatch(String::isEmpty)
                || !ascii.chars().allMatch(c -> c == '.' || c == '-' || c == '_'
                        || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
            throw new IllegalArgumentException("invalid host name");
        }
        return ascii;
    }

    /** The address a canonical host denotes by itself, or null if it is a name to resolve. */
    static InetAddress literal(String canonicalHost) {
        if (canonicalHost.indexOf(':') >= 0) {
            return ipv6(canonicalHost);
        }
        List<String> labels = labels(canonicalHost);
        if (!endsInNumber(labels)) {
            return null;
        }
        long v4 = ipv4(labels);
        try {
            return InetAddress.getByAddress(new byte[] {(byte) (v4 >>> 24), (byte) (v4 >>> 16), (byte) (v4 >>> 8), (byte) v4});
        } catch (UnknownHostException e) {
            throw new IllegalStateException("four bytes are always an address", e);
        }
    }

    /** {@code host:port} as the allow-list spells it; IPv6 in brackets. */
    static String key(String canonicalHost, int port) {
        return (canonicalHost.indexOf(':') >= 0 ? "[" + canonicalHost + "]" : canonicalHost) + ":" + port;
    }

    static boolean isMetadataName(String canonicalHost) {
        String name = canonicalHost.endsWith(".") ? canonicalHost.substring(0, canonicalHost.length() - 1) : canonicalHost;
        return METADATA_NAMES.contains(name);
    }

    /**
     * A port as written after the colon of an authority, 1 to 65535.
     *
     * @throws IllegalArgumentException if it is anything else
     */
    static int port(String digits) {
        if (digits.isEmpty() || digits.length() > 5 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("invalid port");
        }
        int port = Integer.parseInt(digits);
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("invalid port");
        }
        return port;
    }

    private static InetAddress ipv6(String text) {
        // Brackets make the JDK parse a literal or fail; it never falls back to DNS. Zone ids (%eth0)
        // are refused by the character check: they name an interface of this machine.
        if (text.isEmpty() || !text.chars().allMatch(c -> c == ':' || c == '.' || Character.digit(c, 16) >= 0)) {
            throw new IllegalArgumentException("invalid IPv6 literal");
        }
        try {
            return InetAddress.getByName("[" + text + "]");
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("invalid IPv6 literal");
        }
    }

    private static List<String> labels(String host) {
        List<String> labels = new ArrayList<>(Arrays.asList(host.split("\\.", -1)));
        if (labels.size() > 1 && labels.get(labels.size() - 1).isEmpty()) {
            labels.remove(labels.size() - 1);
        }
        return labels;
    }

    private static boolean endsInNumber(List<String> labels) {
        String last = labels.get(labels.size() - 1);
        return (!last.isEmpty() && last.chars().allMatch(c -> c >= '0' && c <= '9')) || number(last) >= 0;
    }

    /** WHATWG IPv4 parser over the labels; the address as an unsigned 32-bit value. */
    private static long ipv4(List<String> labels) {
        if (labels.size() > 4) {
            throw new IllegalArgumentException("invalid IPv4 address");
        }
        long address = 0;
        for (int i = 0; i < labels.size(); i++) {
            long part = number(labels.get(i));
            boolean last = i == labels.size() - 1;
            long limit = last ? 1L << (8 * (5 - labels.size())) : 256;
            if (part < 0 || part >= limit) {
                throw new IllegalArgumentException("invalid IPv4 address");
            }
            address = last ? address + part : address + (part << (8 * (3 - i)));
        }
        return address;
    }

    /**
     * One IPv4 part: decimal, 0x hex or 0-prefixed octal; -1 if not a number. More than 12 significant
     * digits is at least 8^12, far above any valid part, so it is capped there instead of overflowing.
     */
    private static long number(String part) {
        if (part.isEmpty()) {
            return -1;
        }
        int radix = 10;
        String digits = part;
        if (part.startsWith("0x") || part.startsWith("0X")) {
            radix = 16;
            digits = part.substring(2);
        } else if (part.length() > 1 && part.startsWith("0")) {
            radix = 8;
            digits = part.substring(1);
        }
        int r = radix;
        if (!digits.chars().allMatch(c -> c < 128 && Character.digit(c, r) >= 0)) {
            return -1;
        }
        String significant = digits.replaceFirst("^0+", "");
        return significant.length() > 12 ? 1L << 40 : significant.isEmpty() ? 0 : Long.parseLong(significant, radix);
    }

    private static String dotted(long v4) {
        return (v4 >>> 24) + "." + ((v4 >>> 16) & 0xff) + "." + ((v4 >>> 8) & 0xff) + "." + (v4 & 0xff);
    }
}
