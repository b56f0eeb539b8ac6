package app.apimodels.spi.http;

import java.time.Duration;

/**
 * Settings for a transport instance.
 *
 * @param connectTimeout      TCP/TLS connect limit
 * @param maxConnectionsPerHost pool size per upstream host
 */
public record TransportOptions(Duration connectTimeout, int maxConnectionsPerHost) {
    public static TransportOptions defaults() {
        return new TransportOptions(Duration.ofSeconds(10), 256);
    }
}
