package app.apimodels.core.transport;

import app.apimodels.spi.http.HttpTransport;
import app.apimodels.spi.http.HttpTransportFactory;
import app.apimodels.spi.http.TransportOptions;
import app.apimodels.testkit.HttpTransportContract;
import org.junit.jupiter.api.Test;

import java.util.ServiceLoader;

import static org.assertj.core.api.Assertions.assertThat;

class JdkHttpTransportTest extends HttpTransportContract {

    @Override
    protected HttpTransport createTransport() {
        return new JdkHttpTransport(TransportOptions.defaults());
    }

    @Test
    void factoryIsFoundByName() {
        assertThat(ServiceLoader.load(HttpTransportFactory.class).stream().map(ServiceLoader.Provider::get))
                .anySatisfy(factory -> {
                    assertThat(factory.name()).isEqualTo("jdk");
                    try (HttpTransport transport = factory.create(TransportOptions.defaults())) {
                        assertThat(transport).isInstanceOf(JdkHttpTransport.class);
                    }
                });
    }
}
