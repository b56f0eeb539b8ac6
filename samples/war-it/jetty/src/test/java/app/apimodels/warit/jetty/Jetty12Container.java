package app.apimodels.warit.jetty;

import org.eclipse.jetty.ee10.webapp.WebAppContext;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ContextHandlerCollection;
import org.eclipse.jetty.util.ClassMatcher;
import org.jboss.arquillian.container.spi.client.container.DeployableContainer;
import org.jboss.arquillian.container.spi.client.container.DeploymentException;
import org.jboss.arquillian.container.spi.client.container.LifecycleException;
import org.jboss.arquillian.container.spi.client.protocol.ProtocolDescription;
import org.jboss.arquillian.container.spi.client.protocol.metadata.HTTPContext;
import org.jboss.arquillian.container.spi.client.protocol.metadata.ProtocolMetaData;
import org.jboss.arquillian.container.spi.client.protocol.metadata.Servlet;
import org.jboss.shrinkwrap.api.Archive;
import org.jboss.shrinkwrap.api.exporter.ZipExporter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * Jetty 12 ee10 embedded in the test JVM, deploying WAR files the way Jetty's own deployer does: one
 * {@link WebAppContext} per file, at {@code /<file name>}, with the web application's class loader
 * preferring its own {@code WEB-INF/lib}, and as a Jetty with the {@code ee10-cdi} module would: the
 * CDI API Jetty itself carries (from {@code ee10-plus}) hidden, so a CDI implementation in the WAR
 * (Weld Servlet) is found through the WAR's own copy.
 */
public final class Jetty12Container implements DeployableContainer<Jetty12Configuration> {

    private static final String HOST = "localhost";
    private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(5);
    private static final String[] CDI_API = {"jakarta.enterprise.", "jakarta.decorator."};

    private final Map<String, WebAppContext> deployed = new HashMap<>();
    private Jetty12Configuration configuration;
    private Server server;
    private ContextHandlerCollection contexts;
    private Path wars;

    @Override
    public Class<Jetty12Configuration> getConfigurationClass() {
        return Jetty12Configuration.class;
    }

    @Override
    public void setup(Jetty12Configuration configuration) {
        this.configuration = configuration;
    }

    @Override
    public void start() throws LifecycleException {
        server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost(HOST);
        connector.setPort(configuration.getHttpPort());
        // An idle keep-alive connection keeps its last request's servlet channel, and through it the
        // web application and its class loader, until it serves again or times out (Jetty's default:
        // 30 s). The smoke test looks for the undeployed application's classes while its own client's
        // connections sit idle: a shorter timeout, as an operator who redeploys would set, lets them go.
        connector.setIdleTimeout(IDLE_TIMEOUT.toMillis());
        server.addConnector(connector);
        contexts = new ContextHandlerCollection();
        server.setHandler(contexts);
        try {
            wars = Files.createTempDirectory("jetty-wars");
            server.start();
        } catch (Exception e) {
            throw new LifecycleException("Jetty did not start", e);
        }
    }

    @Override
    public void stop() throws LifecycleException {
        try {
            server.stop();
        } catch (Exception e) {
            throw new LifecycleException("Jetty did not stop", e);
        }
    }

    @Override
    public ProtocolDescription getDefaultProtocol() {
        return new ProtocolDescription("Local");
    }

    @Override
    public ProtocolMetaData deploy(Archive<?> archive) throws DeploymentException {
        String name = archive.getName().replaceFirst("\\.war$", "");
        Path war = wars.resolve(archive.getName());
        archive.as(ZipExporter.class).exportTo(war.toFile(), true);
        WebAppContext webapp = new WebAppContext(war.toString(), "/" + name);
        // A listener that fails must fail the deployment, not leave a context answering 503.
        webapp.setThrowUnavailableOnStartupException(true);
        // What ee10-cdi's CdiConfiguration does (that module is not published for Jetty 12.1): otherwise
        // jakarta.enterprise.inject.spi.CDI comes from Jetty's class path and finds no provider.
        webapp.addHiddenClassMatcher(new ClassMatcher(CDI_API));
        try {
            contexts.addHandler(webapp); // starts it, the collection being started
            webapp.start();
        } catch (Exception e) {
            contexts.removeHandler(webapp);
            throw new DeploymentException("Jetty could not deploy " + archive.getName(), e);
        }
        deployed.put(archive.getName(), webapp);
        HTTPContext http = new HTTPContext(HOST, configuration.getHttpPort());
        http.add(new Servlet("default", webapp.getContextPath()));
        return new ProtocolMetaData().addContext(http);
    }

    @Override
    public void undeploy(Archive<?> archive) throws DeploymentException {
        WebAppContext webapp = deployed.remove(archive.getName());
        if (webapp == null) {
            return;
        }
        try {
            webapp.stop();
            contexts.removeHandler(webapp);
            Files.deleteIfExists(wars.resolve(archive.getName()));
        } catch (Exception e) {
            throw new DeploymentException("Jetty could not undeploy " + archive.getName(), e);
        }
    }
}
