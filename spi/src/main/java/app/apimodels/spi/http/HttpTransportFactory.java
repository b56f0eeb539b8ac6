package app.apimodels.spi.http;

/**
 * Creates {@link HttpTransport}s; found by {@link java.util.ServiceLoader} and chosen per
 * provider by {@link #name()} ({@code transport: jetty} in the catalog). A provider that names
 * none gets the transport with the highest {@link #preference()} present, so adding a faster
 * transport's jar makes it the default without editing the catalog.
 */
public interface HttpTransportFactory {
    String name();

    /**
     * How strongly this transport should be the default: the JDK's built-in one is 0; a transport
     * that is faster (or otherwise better for every provider) answers more. Ties go to the first
     * name in alphabetical order.
     */
    default int preference() {
        return 0;
    }

    HttpTransport create(TransportOptions options);
}
