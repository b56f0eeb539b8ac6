package app.apimodels.core.transport;

import app.apimodels.spi.http.HttpRequestSpec;
import app.apimodels.spi.http.HttpTransport;
import app.apimodels.spi.http.HttpTransportFactory;
import app.apimodels.spi.http.TransportOptions;
import app.apimodels.testkit.HttpTransportContract;
import org.junit.jupiter.api.Test;

import com.sun.net.httpserver.HttpServer;

import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.TimeUnit;

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

    /**
     * Inside a server the transport's threads must be gone once it is closed: the container checks
     * right after undeploy, and a thread still running keeps the application's class loader.
     */
    @Test
    void closeEndsItsThreads() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        server.start();
        Set<Thread> before = Thread.getAllStackTraces().keySet();
        try {
            HttpTransport transport = createTransport();
            var response = transport.send(HttpRequestSpec.get(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/"),
                    Map.of(), Duration.ofSeconds(10))).get(10, TimeUnit.SECONDS);
            assertThat(response.status()).isEqualTo(204);
            assertThat(started(before)).as("the call ran on the transport's own threads").isNotEmpty();

            transport.close();

            assertThat(started(before)).isEmpty();
        } finally {
            server.stop(0);
        }
    }

    private static java.util.List<String> started(Set<Thread> before) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> !before.contains(thread) && thread.isAlive() && thread.getName().startsWith("apimodels-jdk-http"))
                .map(Thread::getName).toList();
    }
}
