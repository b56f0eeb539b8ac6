package app.apimodels.transport.jetty;

import app.apimodels.spi.http.HttpTransport;
import app.apimodels.spi.http.HttpTransportFactory;
import app.apimodels.spi.http.TransportOptions;

/**
 * The throughput transport, {@code transport: jetty} in the catalog — and the default for every
 * provider that names none whenever this module is on the classpath (bench/RESULTS.md: it adds
 * about a fifth of the JDK client's latency and carries ~3.5× its calls per second).
 */
public final class JettyHttpTransportFactory implements HttpTransportFactory {

    @Override
    public String name() {
        return "jetty";
    }

    @Override
    public int preference() {
        return 100;
    }

    @Override
    public HttpTransport create(TransportOptions options) {
        return new JettyHttpTransport(options);
    }
}
