package app.apimodels.core.transport;

import app.apimodels.spi.http.HttpTransport;
import app.apimodels.spi.http.HttpTransportFactory;
import app.apimodels.spi.http.TransportOptions;

/** The default transport, {@code transport: jdk} in the catalog. */
public final class JdkHttpTransportFactory implements HttpTransportFactory {

    @Override
    public String name() {
        return "jdk";
    }

    @Override
    public HttpTransport create(TransportOptions options) {
        return new JdkHttpTransport(options);
    }
}
