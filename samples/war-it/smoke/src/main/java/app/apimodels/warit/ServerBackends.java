package app.apimodels.warit;

import app.apimodels.core.testing.TestPostgres;
import app.apimodels.testkit.MockOpenAiUpstream;
import app.apimodels.warit.app.CdiOnlyProvider;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * What a server needs before Arquillian starts it: a fresh PostgreSQL database, a mock OpenAI
 * upstream, a catalog pointing at it, an admin key and free ports. Published as system
 * properties, once per JVM, so {@code arquillian.xml} can hand them on:
 * <ul>
 *   <li>every {@code apimodels.*} setting, read directly by a server in this JVM;</li>
 *   <li>{@value #SERVER_OPTIONS}: the same settings as {@code -D} options for a server's own JVM
 *       (adapters split them at spaces, so the build directory's path must have none);</li>
 *   <li>{@value #HTTP_PORT}, {@value #ADMIN_PORT}, {@value #SPARE_PORT}: free ports for the
 *       server's HTTP connector, its management or shutdown port, and one more (JMX, HTTPS).</li>
 * </ul>
 * Must be registered before {@code ArquillianExtension}, which starts the server. Test methods
 * get the running {@link Backends} as a parameter.
 */
public final class ServerBackends implements BeforeAllCallback, ParameterResolver {

    static final String HTTP_PORT = "apimodels.it.http-port";
    static final String ADMIN_PORT = "apimodels.it.admin-port";
    static final String SPARE_PORT = "apimodels.it.spare-port";
    static final String SERVER_OPTIONS = "apimodels.it.server-options";
    static final String WAR = "apimodels.it.war";
    static final String WORK_DIR = "apimodels.it.work-dir";
    /** {@code true}: deploy the WAR a second time into the same server, after the first undeploy. */
    static final String REDEPLOY = "apimodels.it.redeploy";
    /** Seconds the server's JVM has to unload the application's classes after the undeploy (15 unless set). */
    static final String UNLOAD_SECONDS = "apimodels.it.unload-seconds";
    /** Tomcat's log directory, where its leak detection reports what an undeployed application left. */
    static final String TOMCAT_LOGS = "apimodels.it.tomcat-logs";

    /** Input 10 and output 30 credits per million tokens: the mock's 11 in + 5 out cost 260 micros. */
    static final long CALL_COST_MICROS = 260;
    static final String MODEL = "smoke-chat";
    /** Routed through {@code CdiOnlyProvider}, a provider only CDI knows, to the same upstream. */
    static final String CDI_MODEL = "smoke-cdi-chat";
    /** The upstream key of the CDI-only provider: the mock sees it only on calls that provider made. */
    static final String CDI_UPSTREAM_KEY = "sk-smoke-cdi-upstream-key";

    @Override
    public void beforeAll(ExtensionContext context) {
        // The root store lives as long as the JVM's test run and closes what it holds at the end.
        context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL)
                .getOrComputeIfAbsent(Backends.class, k -> Backends.start(), Backends.class);
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == Backends.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL).get(Backends.class, Backends.class);
    }

    /** The running backends and the settings that point a server at them. */
    record Backends(MockOpenAiUpstream upstream, String adminKey, int httpPort) implements AutoCloseable {

        static Backends start() {
            Path work = Path.of(System.getProperty(WORK_DIR, System.getProperty("java.io.tmpdir")));
            MockOpenAiUpstream upstream = new MockOpenAiUpstream();
            try {
                Path catalog = work.resolve("smoke-catalog.yaml");
                Files.writeString(catalog, catalog(upstream.baseUrl()));
                String adminKey = "smoke-admin-" + UUID.randomUUID();
                Map<String, String> settings = new LinkedHashMap<>();
                settings.put("apimodels.db.url", TestPostgres.newDatabase());
                settings.put("apimodels.db.user", TestPostgres.user());
                settings.put("apimodels.db.password", TestPostgres.password());
                settings.put("apimodels.catalog", catalog.toString());
                settings.put("apimodels.bootstrap.admin-key", adminKey);
                settings.put("apimodels.data-dir", work.resolve("apimodels-data").toString());
                settings.values().removeIf(String::isEmpty);
                settings.forEach(System::setProperty);
                System.setProperty(SERVER_OPTIONS, settings.entrySet().stream()
                        .map(e -> "-D" + e.getKey() + "=" + e.getValue()).collect(Collectors.joining(" ")));
                int[] ports = freePorts(3);
                System.setProperty(HTTP_PORT, Integer.toString(ports[0]));
                System.setProperty(ADMIN_PORT, Integer.toString(ports[1]));
                System.setProperty(SPARE_PORT, Integer.toString(ports[2]));
                return new Backends(upstream, adminKey, ports[0]);
            } catch (IOException e) {
                upstream.close();
                throw new UncheckedIOException(e);
            } catch (RuntimeException e) {
                upstream.close();
                throw e;
            }
        }

        private static String catalog(String upstreamBaseUrl) {
            return """
                    providers:
                      - id: mock
                        type: openai
                        base-url: %s
                        api-key: sk-smoke-upstream-key
                        timeout-seconds: 30
                      - id: cdi
                        type: %s
                        base-url: %s
                        api-key: %s
                        timeout-seconds: 30
                    models:
                      - id: %s
                        kind: chat
                        routes:
                          - { provider: mock, upstream-model: %s }
                        price: { input-per-1m-tokens: 10, output-per-1m-tokens: 30 }
                      - id: %s
                        kind: chat
                        routes:
                          - { provider: cdi, upstream-model: %s }
                        price: { input-per-1m-tokens: 10, output-per-1m-tokens: 30 }
                    """.formatted(upstreamBaseUrl, CdiOnlyProvider.TYPE, upstreamBaseUrl, CDI_UPSTREAM_KEY,
                    MODEL, MockOpenAiUpstream.MODEL, CDI_MODEL, MockOpenAiUpstream.MODEL);
        }

        /** Distinct free ports: all held open until each is known, so none is handed out twice. */
        private static int[] freePorts(int count) throws IOException {
            ServerSocket[] sockets = new ServerSocket[count];
            try {
                int[] ports = new int[count];
                for (int i = 0; i < count; i++) {
                    sockets[i] = new ServerSocket(0);
                    ports[i] = sockets[i].getLocalPort();
                }
                return ports;
            } finally {
                for (ServerSocket socket : sockets) {
                    if (socket != null) {
                        socket.close();
                    }
                }
            }
        }

        /** Holds in the application's database that no settlement or release has ended. */
        long pendingHolds() {
            try (Connection db = DriverManager.getConnection(System.getProperty("apimodels.db.url"),
                    System.getProperty("apimodels.db.user"), System.getProperty("apimodels.db.password"));
                 ResultSet pending = db.createStatement().executeQuery("SELECT count(*) FROM apimodels_hold WHERE state = 'pending'")) {
                pending.next();
                return pending.getLong(1);
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void close() {
            upstream.close();
        }
    }
}
