package app.apimodels.core.fetch;

import java.net.InetAddress;
import java.util.Arrays;
import java.util.List;

/**
 * Which addresses count as the public internet. IPv4 is public unless in a special-purpose block; IPv6
 * is public only inside global unicast 2000::/3 and outside its special blocks, so a new or forgotten
 * special range fails closed. IPv6 forms that carry an IPv4 address (mapped, NAT64, 6to4) are judged
 * by the IPv4 address they lead to.
 */
final class Addresses {

    private static final List<Cidr> V4_SPECIAL = cidrs(
            "0.0.0.0/8",          // "this network", includes the unspecified 0.0.0.0
            "10.0.0.0/8",         // private
            "100.64.0.0/10",      // carrier-grade NAT (also Alibaba's metadata 100.100.100.200)
            "127.0.0.0/8",        // loopback
            "169.254.0.0/16",     // link-local (also the metadata 169.254.169.254)
            "172.16.0.0/12",      // private
            "192.0.0.0/24",       // IETF protocol assignments (also Oracle's metadata 192.0.0.192)
            "192.0.2.0/24",       // documentation
            "192.88.99.0/24",     // former 6to4 relay anycast
            "192.168.0.0/16",     // private
            "198.18.0.0/15",      // benchmarking
            "198.51.100.0/24",    // documentation
            "203.0.113.0/24",     // documentation
            "224.0.0.0/4",        // multicast
            "240.0.0.0/4");       // reserved, includes broadcast 255.255.255.255

    private static final Cidr V6_GLOBAL_UNICAST = cidr("2000::/3");
    private static final List<Cidr> V6_SPECIAL_IN_GLOBAL = cidrs(
            "2001::/32",          // Teredo: the IPv4 end is obfuscated, so it cannot be judged
            "2001:2::/48",        // benchmarking
            "2001:10::/28",       // ORCHID
            "2001:20::/28",       // ORCHIDv2
            "2001:db8::/32",      // documentation
            "3fff::/20");         // documentation
    private static final Cidr V4_MAPPED =
            new Cidr(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 0, 0, 0, 0}, 96);
    private static final Cidr V4_COMPATIBLE = cidr("::/96");
    private static final Cidr NAT64 = cidr("64:ff9b::/96");
    private static final Cidr SIX_TO_FOUR = cidr("2002::/16");

    private static final List<byte[]> METADATA = List.of(
            bytes("169.254.169.254"), bytes("fd00:ec2::254"), bytes("100.100.100.200"), bytes("192.0.0.192"));

    private Addresses() {
    }

    static boolean isPublic(InetAddress address) {
        return isPublic(address.getAddress());
    }

    /** Cloud instance metadata services hand out credentials; they stay closed even to allow-listed hosts. */
    static boolean isCloudMetadata(InetAddress address) {
        byte[] raw = address.getAddress();
        byte[] v4 = embeddedV4(raw);
        return METADATA.stream().anyMatch(m -> Arrays.equals(m, raw) || (v4 != null && Arrays.equals(m, v4)));
    }

    private static boolean isPublic(byte[] raw) {
        if (raw.length == 4) {
            return V4_SPECIAL.stream().noneMatch(c -> c.contains(raw));
        }
        if (V4_COMPATIBLE.contains(raw)) {
            // ::, ::1 and the deprecated IPv4-compatible form; none is a reachable public host.
            return false;
        }
        byte[] v4 = embeddedV4(raw);
        if (v4 != null) {
            return isPublic(v4);
        }
        return V6_GLOBAL_UNICAST.contains(raw) && V6_SPECIAL_IN_GLOBAL.stream().noneMatch(c -> c.contains(raw));
    }

    /** The IPv4 address an IPv6 address leads to (mapped, compatible, NAT64, 6to4), or null. */
    private static byte[] embeddedV4(byte[] raw) {
        if (raw.length != 16) {
            return null;
        }
        if (V4_MAPPED.contains(raw) || V4_COMPATIBLE.contains(raw) || NAT64.contains(raw)) {
            return Arrays.copyOfRange(raw, 12, 16);
        }
        if (SIX_TO_FOUR.contains(raw)) {
            return Arrays.copyOfRange(raw, 2, 6);
        }
        return null;
    }

    private static List<Cidr> cidrs(String... specs) {
        return Arrays.stream(specs).map(Addresses::cidr).toList();
    }

    private static Cidr cidr(String spec) {
        return Cidr.parse(spec);
    }

    private static byte[] bytes(String literal) {
        return Cidr.literal(literal);
    }
}
