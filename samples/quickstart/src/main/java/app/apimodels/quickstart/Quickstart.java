package app.apimodels.quickstart;

import app.apimodels.core.ApiModels;
import app.apimodels.core.config.ConfigSource;
import app.apimodels.core.config.Keys;
import app.apimodels.core.config.Settings;
import app.apimodels.servlet.ApiModelsMount;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * apimodels in one process: the engine with its embedded database, served by an embedded Jetty 12
 * (HTTP/1.1, ee10 servlet).
 *
 * <p>Settings, as system properties or environment variables ({@code apimodels.port} ↔
 * {@code APIMODELS_PORT}), besides every engine setting:
 * <ul>
 *   <li>{@code apimodels.port}: where to listen, default 8080 (0 picks a free port);</li>
 *   <li>{@code apimodels.data-dir}: where the database and files live, default {@code ./apimodels-data};</li>
 *   <li>{@code apimodels.catalog}: the YAML catalog. Without one, a DEMO catalog with a local echo
 *       provider is written to the data directory and used, so the quickstart runs with no upstream
 *       account.</li>
 * </ul>
 */
public final class Quickstart implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(Quickstart.class.getName());
    private static final String DEMO_CATALOG = "demo-catalog.yaml";

    private final Server jetty;
    private final ServerConnector connector;
    private final ApiModels engine;
    private final AtomicBoolean closed = new AtomicBoolean();

    private Quickstart(Server jetty, ApiModels engine) {
        this.jetty = jetty;
        this.connector = (ServerConnector) jetty.getConnectors()[0];
        this.engine = engine;
    }

    public static void main(String[] args) throws Exception {
        Quickstart quickstart = start(ConfigSource.environment());
        Runtime.getRuntime().addShutdownHook(new Thread(quickstart::close, "apimodels-shutdown"));
        System.out.println("apimodels listening on http://localhost:" + quickstart.port());
        quickstart.jetty.join();
    }

    /** Starts the engine, then Jetty in front of it. */
    public static Quickstart start(ConfigSource settings) throws IOException {
        return start(settings, java.time.Clock.systemUTC());
    }

    /** As {@link #start(ConfigSource)}, with the engine reading time from {@code clock} (tests move it). */
    public static Quickstart start(ConfigSource settings, java.time.Clock clock) throws IOException {
        Settings typed = new Settings(settings);
        int port = typed.get(Keys.PORT);
        Path dataDir = typed.get(Keys.DATA_DIR).toAbsolutePath().normalize();
        Files.createDirectories(dataDir);

        // The engine keeps its embedded database under the data directory, so it must see the default too.
        Map<String, String> overlay = new HashMap<>(Map.of(Keys.DATA_DIR.key(), dataDir.toString()));
        if (typed.find(Keys.CATALOG).isEmpty()) {
            Path demoCatalog = writeDemoCatalog(dataDir);
            LOG.log(System.Logger.Level.WARNING, "No apimodels.catalog set: using the DEMO catalog {0}, whose "
                    + "models only echo your messages. Set APIMODELS_CATALOG to call real upstreams.", demoCatalog);
            overlay.put(Keys.CATALOG.key(), demoCatalog.toString());
        }
        ApiModels engine = ApiModels.builder().config(ConfigSource.of(overlay).orElse(settings)).clock(clock).build();
        try {
            return new Quickstart(startJetty(port, typed.get(Keys.MAX_CONNECTIONS), dataDir, engine), engine);
        } catch (IOException | RuntimeException e) {
            engine.close();
            throw e;
        }
    }

    /** The port Jetty listens on (the actual one when 0 was asked for). */
    public int port() {
        return connector.getLocalPort();
    }

    /**
     * Stops taking connections, lets the engine finish or settle the calls in flight (within its
     * shutdown grace), then stops Jetty.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            connector.setAccepting(false);
            engine.close();
        } finally {
            try {
                jetty.stop();
            } catch (Exception e) {
                LOG.log(System.Logger.Level.WARNING, "Jetty did not stop cleanly", e);
            }
        }
    }

    /** Rewritten on every start so it matches this version; copy it elsewhere to change it. */
    private static Path writeDemoCatalog(Path dataDir) throws IOException {
        Path target = dataDir.resolve(DEMO_CATALOG);
        try (InputStream demo = Quickstart.class.getResourceAsStream(DEMO_CATALOG)) {
            if (demo == null) {
                throw new IllegalStateException(DEMO_CATALOG + " is missing from the quickstart jar");
            }
            Files.copy(demo, target, StandardCopyOption.REPLACE_EXISTING);
        }
        return target;
    }

    private static Server startJetty(int port, int maxConnections, Path dataDir, ApiModels engine) throws IOException {
        Server jetty = new Server();
        HttpConfiguration http = new HttpConfiguration();
        // No per-connection cache of parsed header fields: a trie of ~72 KiB of char[] for every
        // connection, which ran a 1 GiB relay out of memory with 10,000 held-open streams.
        http.setHeaderCacheSize(0);
        // Answers are written whole, with their length, and stream events one by one with a flush:
        // 4 KiB of (pooled) output buffer, not 32, per call in flight; writes of more than a quarter
        // of it go to the socket directly.
        http.setOutputBufferSize(4096);
        // The response's headers are bounded: the largest is a redirect's Location (a console link,
        // at most about 2 KiB, or a storage's signed link). Request headers keep their 8 KiB (and
        // so do a chunked body's trailers, which Jetty counts against the same limit).
        http.setResponseHeaderSize(4096);
        // What the server is, is nobody's business.
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        ServerConnector connector = new ServerConnector(jetty, new HttpConnectionFactory(http));
        connector.setPort(port);
        // Tomcat's accept backlog (100) rather than the JDK's 50, for a ramp of new connections.
        connector.setAcceptQueueSize(100);
        jetty.addConnector(connector);
        // Held-open streams are idle connections, not threads: past this many, new connections
        // wait in the backlog until one closes.
        jetty.addBean(new NetworkConnectionLimit(maxConnections, connector));
        // What Jetty answers by itself (unparsable requests) must not show its HTML page, a stack
        // trace or its version.
        jetty.setErrorHandler(new ProblemErrorHandler());
        // No sessions (the engine keeps its own in the database), no security handler, no
        // default servlet: only the API.
        ServletContextHandler context = new ServletContextHandler("/", ServletContextHandler.NO_SESSIONS);
        context.setErrorHandler(new ProblemErrorHandler());
        // Uploads arrive in a temporary file under the data directory.
        Path temp = Files.createDirectories(dataDir.resolve("tmp"));
        context.setTempDirectory(temp.toFile());
        context.addServletContainerInitializer((classes, ctx) -> ApiModelsMount.register(ctx, engine, ""));
        jetty.setHandler(context);
        try {
            jetty.start();
        } catch (IOException e) {
            stopQuietly(jetty);
            throw new IOException("Could not listen on port " + port + ": " + e.getMessage(), e);
        } catch (Exception e) {
            stopQuietly(jetty);
            throw new IllegalStateException("Jetty did not start", e);
        }
        return jetty;
    }

    private static void stopQuietly(Server jetty) {
        try {
            jetty.stop();
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "Jetty did not stop cleanly", e);
        }
    }
}
