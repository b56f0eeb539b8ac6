package app.apimodels.transport.jetty;

import app.apimodels.spi.http.HttpTransport;
import app.apimodels.spi.http.HttpTransportFactory;
import app.apimodels.spi.http.TransportOptions;
import app.apimodels.testkit.HttpTransportContract;
import org.junit.jupiter.api.Test;

import java.util.ServiceLoader;

import static org.assertj.core.api.Assertions.assertThat;

class JettyHttpTransportTest extends HttpTransportContract {

    @Override
    protected HttpTransport createTransport() {
        return new JettyHttpTransport(TransportOptions.defaults());
    }

    @Test
    void factoryIsFoundByName() {
        assertThat(ServiceLoader.load(HttpTransportFactory.class).stream().map(ServiceLoader.Provider::get))
                .anySatisfy(factory -> {
                    assertThat(factory.name()).isEqualTo("jetty");
                    try (HttpTransport transport = factory.create(TransportOptions.defaults())) {
                        assertThat(transport).isInstanceOf(JettyHttpTransport.class);
                    }
                });
    }
}
