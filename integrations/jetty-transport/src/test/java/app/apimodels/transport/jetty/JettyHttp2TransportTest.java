package app.apimodels.transport.jetty;

import app.apimodels.spi.http.HttpTransport;
import app.apimodels.spi.http.HttpTransportFactory;
import app.apimodels.spi.http.TransportOptions;
import app.apimodels.testkit.HttpTransportContract;
import org.junit.jupiter.api.Test;

import java.util.ServiceLoader;

import static org.assertj.core.api.Assertions.assertThat;

/** The whole transport contract over HTTP/2 with prior knowledge (WireMock serves h2c on its HTTP port). */
class JettyHttp2TransportTest extends HttpTransportContract {

    @Override
    protected HttpTransport createTransport() {
        return JettyHttpTransport.http2(TransportOptions.defaults());
    }

    @Test
    void factoryIsFoundByNameAndNeverTheDefault() {
        assertThat(ServiceLoader.load(HttpTransportFactory.class).stream().map(ServiceLoader.Provider::get))
                .anySatisfy(factory -> {
                    assertThat(factory.name()).isEqualTo("jetty-http2");
                    assertThat(factory.preference()).isNegative();
                    try (HttpTransport transport = factory.create(TransportOptions.defaults())) {
                        assertThat(transport).isInstanceOf(JettyHttpTransport.class);
                    }
                });
    }
}
