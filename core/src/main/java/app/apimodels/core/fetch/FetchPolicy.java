package app.apimodels.core.fetch;

import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What a {@link SafeFetcher} may reach and how long it may take.
 *
 * @param allowedPrivateHosts {@code host:port} entries (lower case, IPv6 in brackets, IPv4 in dotted
 *        decimal) that may resolve to private addresses; from {@code apimodels.fetch.allowed-private-hosts}.
 *        An entry matches the URL's host and port (80/443 when the URL has none) and nothing else: not
 *        another port, not another name for the same address. Cloud metadata addresses stay closed.
 * @param connectTimeout for opening one connection, TLS handshake included
 * @param totalTimeout the longest any fetch may take, redirects and body included
 * @param maxRedirects redirects followed by {@link SafeFetcher#get}
 * @param userAgent sent with every request
 */
public record FetchPolicy(Set<String> allowedPrivateHosts, Duration connectTimeout, Duration totalTimeout,
        int maxRedirects, String userAgent) {

    /** The configuration key {@link #parseHosts} reads. */
    public static final String ALLOWED_PRIVATE_HOSTS_KEY = "apimodels.fetch.allowed-private-hosts";

    public FetchPolicy {
        allowedPrivateHosts = allowedPrivateHosts.stream().map(FetchPolicy::entry).collect(Collectors.toUnmodifiableSet());
        requirePositive(connectTimeout, "connectTimeout");
        requirePositive(totalTimeout, "totalTimeout");
        if (maxRedirects < 0) {
            throw new IllegalArgumentException("maxRedirects must not be negative");
        }
        if (userAgent == null || userAgent.isBlank()) {
            throw new IllegalArgumentException("userAgent is required");
        }
    }

    /** Nothing private allowed, 10 s to connect, 60 s in all, 5 redirects, User-Agent {@code apimodels/1}. */
    public static FetchPolicy defaults() {
        return new FetchPolicy(Set.of(), Duration.ofSeconds(10), Duration.ofSeconds(60), 5, "apimodels/1");
    }

    /**
     * The entries of a comma-separated {@code host:port} list; blank entries are skipped, null or blank
     * input is the empty set.
     *
     * @throws IllegalArgumentException naming the first entry that is not a {@code host:port}
     */
    public static Set<String> parseHosts(String csv) {
        if (csv == null || csv.isBlank()) {
            return Set.of();
        }
        return Arrays.stream(csv.split(",")).map(String::trim).filter(e -> !e.isEmpty())
                .map(FetchPolicy::entry).collect(Collectors.toUnmodifiableSet());
    }

    private static String entry(String entry) {
        String trimmed = Objects.requireNonNull(entry, "allowed private host").trim();
        int colon = trimmed.startsWith("[") ? trimmed.indexOf(']') + 1 : trimmed.lastIndexOf(':');
        try {
            if (colon <= 0 || colon >= trimmed.length() || trimmed.charAt(colon) != ':') {
                throw new IllegalArgumentException("expected host:port");
            }
            return Hosts.key(Hosts.canonical(trimmed.substring(0, colon)), Hosts.port(trimmed.substring(colon + 1)));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    ALLOWED_PRIVATE_HOSTS_KEY + ": '" + trimmed + "' is not a host:port entry (" + e.getMessage() + ")");
        }
    }

    private static void requirePositive(Duration duration, String name) {
        if (duration == null || duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException(name + " must be positive");
        }
    }
}
