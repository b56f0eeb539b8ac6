package app.apimodels.quickstart;

import app.apimodels.core.ApiModels;
import app.apimodels.core.config.ConfigSource;
import app.apimodels.core.config.Keys;
import app.apimodels.core.config.Settings;
import app.apimodels.servlet.ApiModelsMount;
import org.apache.catalina.LifecycleException;
import org.apache.catalina.LifecycleState;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.connector.Response;
import org.apache.catalina.core.StandardContext;
import org.apache.catalina.core.StandardHost;
import org.apache.catalina.session.StandardManager;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.modeler.Registry;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * apimodels in one process: the engine with its embedded database, served by an embedded Tomcat.
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

    private final Tomcat tomcat;
    private final ApiModels engine;
    private final AtomicBoolean closed = new AtomicBoolean();

    private Quickstart(Tomcat tomcat, ApiModels engine) {
        this.tomcat = tomcat;
        this.engine = engine;
    }

    public static void main(String[] args) throws Exception {
        Quickstart quickstart = start(ConfigSource.environment());
        Runtime.getRuntime().addShutdownHook(new Thread(quickstart::close, "apimodels-shutdown"));
        System.out.println("apimodels listening on http://localhost:" + quickstart.port());
        quickstart.tomcat.getServer().await(); // Tomcat's own threads are daemons: keep the JVM alive
    }

    /** Starts the engine, then Tomcat in front of it. */
    public static Quickstart start(ConfigSource settings) throws IOException, LifecycleException {
        return start(settings, java.time.Clock.systemUTC());
    }

    /** As {@link #start(ConfigSource)}, with the engine reading time from {@code clock} (tests move it). */
    public static Quickstart start(ConfigSource settings, java.time.Clock clock) throws IOException, LifecycleException {
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
            return new Quickstart(startTomcat(port, typed.get(Keys.MAX_CONNECTIONS), dataDir, engine), engine);
        } catch (LifecycleException | RuntimeException e) {
            engine.close();
            throw e;
        }
    }

    /** The port Tomcat listens on (the actual one when 0 was asked for). */
    public int port() {
        return tomcat.getConnector().getLocalPort();
    }

    /** Stops taking requests, lets the engine finish or settle the calls in flight, then stops Tomcat. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            tomcat.getConnector().pause();
            engine.close();
        } finally {
            try {
                tomcat.stop();
                tomcat.destroy();
            } catch (LifecycleException e) {
                LOG.log(System.Logger.Level.WARNING, "Tomcat did not stop cleanly", e);
            }
        }
    }

    /**
     * The HTTP/1.1 connector, with a response buffer of {@value #RESPONSE_BUFFER} bytes instead of
     * 8 KiB: every call in flight holds one (and a char buffer of as many chars, which the engine
     * never uses). Answers are written whole, with their length: one larger than the buffer goes
     * past it to the socket, whose own buffer gathers small writes.
     */
    private static final class SmallResponseBuffers extends Connector {
        private static final int RESPONSE_BUFFER = 256;

        SmallResponseBuffers() {
            super("HTTP/1.1");
        }

        @Override
        public Response createResponse(org.apache.coyote.Response coyoteResponse) {
            return new Response(coyoteResponse, RESPONSE_BUFFER);
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

    private static Tomcat startTomcat(int port, int maxConnections, Path dataDir, ApiModels engine) throws LifecycleException {
        // No JMX MBeans: Tomcat registers one per request processor, under a lock every new
        // connection takes. With thousands of held-open streams each new one then waited seconds for
        // that lock (and each MBean costs heap); nothing here reads them.
        Registry.disableRegistry();
        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(dataDir.resolve("tomcat").toString());
        Connector connector = new SmallResponseBuffers();
        connector.setPort(port);
        tomcat.setConnector(connector);
        // Held-open streams are idle connections parked in NIO's poller, not threads: Tomcat's own
        // cap (8,192) would be the limit long before memory or threads are.
        connector.setProperty("maxConnections", Integer.toString(maxConnections));
        // A request processor (~60 KiB of buffers) per call in flight: as many are kept for reuse
        // as there can be calls, so streams that end and reopen take a kept one instead of making
        // a new one (and registering it under the protocol's lock) and dropping the old one.
        connector.setProperty("processorCache", Integer.toString(maxConnections));
        // Each connection's socket buffers (read, write, and the read one again inside the request
        // parser's) at 4 KiB rather than 8: 12 KiB less per held stream. Larger reads and writes
        // go to the socket directly, and request headers keep their own 8 KiB.
        connector.setProperty("socket.appReadBufSize", "4096");
        connector.setProperty("socket.appWriteBufSize", "4096");
        // Every connection's processor allocates its largest buffers up front and keeps them while
        // the connection lives, a held-open stream included. Trailers of a chunked request body get
        // one of maxTrailerSize (8 KiB by default); API clients send none, and a chunked body's
        // closing empty line needs the room of two bytes: 256 is plenty.
        connector.setProperty("maxTrailerSize", "256");
        // The response's headers get one of maxHttpResponseHeaderSize (8 KiB by default). Ours are
        // bounded: the largest is a redirect's Location (a console link, at most about 2 KiB, or a
        // storage's signed link). A longer set would make Tomcat answer 500, so keep room.
        connector.setProperty("maxHttpResponseHeaderSize", "4096");
        // What Tomcat answers by itself (unparsable requests) must not show its HTML page, a stack trace or its version.
        ((StandardHost) tomcat.getHost()).setErrorReportValveClass(ProblemErrorValve.class.getName());
        // No docBase: no static files, JSP or default servlet, only the API.
        StandardContext context = (StandardContext) tomcat.addContext("", null);
        // Leak detection is for redeployable web apps; here it only prints warnings on every stop.
        context.setClearReferencesThreadLocals(false);
        context.setClearReferencesRmiTargets(false);
        StandardManager sessions = new StandardManager();
        sessions.setPathname(null); // the engine keeps its sessions in the database; nothing to save on stop
        context.setManager(sessions);
        context.addServletContainerInitializer((classes, ctx) -> ApiModelsMount.register(ctx, engine, ""), null);
        tomcat.start();
        if (tomcat.getConnector().getState() != LifecycleState.STARTED) {
            // Tomcat logs a failed bind and carries on without listening; do not pretend to run.
            tomcat.stop();
            tomcat.destroy();
            throw new LifecycleException("Could not listen on port " + port + " (see the log above)");
        }
        return tomcat;
    }
}
