package app.apimodels.transport.jetty;

import app.apimodels.spi.http.HttpTransport;
import app.apimodels.spi.http.HttpTransportFactory;
import app.apimodels.spi.http.TransportOptions;

/**
 * {@code transport: jetty-http2} in the catalog: Jetty's client speaking HTTP/2 only, for
 * upstreams that do (the large hosted APIs over https, or an h2c endpoint). Never a default:
 * an upstream that speaks only HTTP/1.1 fails to connect with it.
 */
public final class JettyHttp2TransportFactory implements HttpTransportFactory {

    @Override
    public String name() {
        return "jetty-http2";
    }

    @Override
    public int preference() {
        return -1; // below the JDK client's 0: chosen only by name
    }

    @Override
    public HttpTransport create(TransportOptions options) {
        return JettyHttpTransport.http2(options);
    }
}
