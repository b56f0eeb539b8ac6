package app.apimodels.transport.jetty;

import app.apimodels.spi.http.HttpTransport;
import app.apimodels.spi.http.HttpTransportFactory;
import app.apimodels.spi.http.TransportOptions;

/** The throughput transport, {@code transport: jetty} in the catalog. */
public final class JettyHttpTransportFactory implements HttpTransportFactory {

    @Override
    public String name() {
        return "jetty";
    }

    @Override
    public HttpTransport create(TransportOptions options) {
        return new JettyHttpTransport(options);
    }
}
