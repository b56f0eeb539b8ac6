package app.apimodels.core.limits;

import app.apimodels.core.fetch.Cidr;
import app.apimodels.spi.web.Exchange;

import java.util.Arrays;
import java.util.List;

/**
 * The address a call comes from, for per-address limits: the connection's peer
 * ({@link Exchange#remoteAddress()}), unless that peer is a configured trusted proxy; then
 * {@code X-Forwarded-For} is read from the right, each trusted proxy's entry naming the one before
 * it, and the first address that is not a trusted proxy is the client. Without trusted proxies the
 * header is ignored, since any client can send it. An IPv6 client is counted by its /64.
 */
public final class ClientAddress {

    private final List<Cidr> trustedProxies;

    public ClientAddress(List<Cidr> trustedProxies) {
        this.trustedProxies = List.copyOf(trustedProxies);
    }

    /**
     * The comma-separated addresses or blocks of {@code apimodels.limits.trusted-proxies}
     * (e.g. {@code 10.0.0.0/8, ::1}); blank is none.
     *
     * @throws IllegalArgumentException naming the first entry that is not an address or block
     */
    public static List<Cidr> parseProxies(String csv) {
        if (csv == null || csv.isBlank()) {
            return List.of();
        }
        return Arrays.stream(csv.split(",")).map(String::trim).filter(e -> !e.isEmpty()).map(Cidr::parse).toList();
    }

    /** The client's address as limits count it ({@link #counted}). */
    public String of(Exchange exchange) {
        return counted(client(exchange));
    }

    /**
     * An address as it is counted: IPv4 as it is, IPv6 by its /64 (one subscriber's whole prefix,
     * which it can rotate through at will). What is not a literal is counted as given (cut to 64
     * characters); nothing is ever looked up.
     */
    public static String counted(String remote) {
        if (remote == null || remote.isBlank()) {
            return "unknown";
        }
        String literal = literal(remote);
        if (literal.indexOf(':') >= 0) {
            try {
                byte[] a = Cidr.literal(literal);
                if (a.length == 16) {
                    java.util.Arrays.fill(a, 8, 16, (byte) 0);
                    return java.net.InetAddress.getByAddress(a).getHostAddress() + "/64";
                }
            } catch (IllegalArgumentException | java.net.UnknownHostException e) {
                // not a literal after all: counted as given
            }
        }
        return remote.length() > 64 ? remote.substring(0, 64) : remote;
    }

    /**
     * The address without IPv6 brackets and zone ({@code [fe80::1%eth0]} → {@code fe80::1}); an
     * address without either (every IPv4 one) is returned as it is, with nothing allocated: this
     * runs on every call.
     */
    private static String literal(String remote) {
        int zone = remote.indexOf('%');
        String literal = zone >= 0 ? remote.substring(0, zone) : remote;
        return literal.indexOf('[') >= 0 || literal.indexOf(']') >= 0 ? literal.replace("[", "").replace("]", "") : literal;
    }

    private String client(Exchange exchange) {
        String peer = exchange.remoteAddress();
        if (trustedProxies.isEmpty() || !trusted(peer)) {
            return peer;
        }
        String forwarded = exchange.header("X-Forwarded-For");
        if (forwarded == null) {
            return peer;
        }
        String client = peer;
        String[] hops = forwarded.split(",");
        for (int i = hops.length - 1; i >= 0; i--) {
            String hop = hops[i].trim();
            if (bytes(hop) == null) {
                // Not an address: written by the client itself, beyond the last trusted proxy.
                return client;
            }
            client = hop;
            if (!trusted(hop)) {
                return hop;
            }
        }
        return client;
    }

    private boolean trusted(String address) {
        byte[] b = bytes(address);
        return b != null && trustedProxies.stream().anyMatch(c -> c.contains(b));
    }

    private static byte[] bytes(String address) {
        try {
            return address == null ? null : Cidr.literal(address);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
