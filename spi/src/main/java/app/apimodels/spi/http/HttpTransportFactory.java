package app.apimodels.spi.http;

/**
 * Creates {@link HttpTransport}s; found by {@link java.util.ServiceLoader} and chosen per
 * provider by {@link #name()} ({@code transport: jetty} in the catalog).
 */
public interface HttpTransportFactory {
    String name();

    HttpTransport create(TransportOptions options);
}
