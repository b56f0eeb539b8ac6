package app.apimodels.transport.jetty;

import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

import java.net.URI;
import java.util.concurrent.atomic.AtomicInteger;

/** A Jetty server speaking h2c (prior knowledge) on a loopback port, as a test makes it behave; counts its connections. */
final class H2cServer implements AutoCloseable {

    /** Makes the server's connector, for a test that changes how it accepts. */
    interface Connectors {
        ServerConnector create(Server server, ConnectionFactory h2c);
    }

    final AtomicInteger opened = new AtomicInteger();
    final AtomicInteger closed = new AtomicInteger();
    private final Server server = new Server();
    private final ServerConnector connector;

    H2cServer(Handler handler) throws Exception {
        this(handler, (server, h2c) -> new ServerConnector(server, 1, 1, h2c));
    }

    H2cServer(Handler handler, Connectors connectors) throws Exception {
        connector = connectors.create(server, new HTTP2CServerConnectionFactory(new HttpConfiguration()));
        connector.setHost("127.0.0.1");
        connector.addBean(new Connection.Listener() {
            @Override
            public void onOpened(Connection connection) {
                opened.incrementAndGet();
            }

            @Override
            public void onClosed(Connection connection) {
                closed.incrementAndGet();
            }
        });
        server.addConnector(connector);
        server.setHandler(handler);
        server.start();
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + connector.getLocalPort() + path);
    }

    @Override
    public void close() throws Exception {
        server.stop();
    }
}
