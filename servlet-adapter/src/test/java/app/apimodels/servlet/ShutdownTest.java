package app.apimodels.servlet;

import com.sun.net.httpserver.HttpServer;
import org.apache.catalina.LifecycleState;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The application stops while a paid call is waiting for its upstream, on a DataSource the server
 * manages (JNDI): the call finishes with its own answer, its hold is settled and written before the
 * server's DataSource goes away, and nothing is left pending for the sweeper. (Without the WAR's
 * unloadDelay Tomcat would end the call after 2 s: the client then gets a 503, see ServletExchangeTest.)
 */
@Timeout(300)
class ShutdownTest {

    private static final String ADMIN_KEY = "shutdown-admin-key-123456";

    @TempDir
    static Path dir;
    private static Webapps server;
    private static HttpServer upstream;
    private static final CountDownLatch arrived = new CountDownLatch(1);
    private static final CountDownLatch release = new CountDownLatch(1);

    @BeforeAll
    static void start() throws Exception {
        server = Webapps.start(dir);
        upstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        upstream.createContext("/slow", exchange -> {
            arrived.countDown();
            try {
                release.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        upstream.start();
    }

    @AfterAll
    static void stop() throws Exception {
        release.countDown();
        if (upstream != null) {
            upstream.stop(0);
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void aCallInFlightAtShutdownIsSettledBeforeTheServersDataSourceCloses() throws Exception {
        Path catalog = Webapps.probeChatCatalog(dir, "slow", "http://127.0.0.1:" + upstream.getAddress().getPort() + "/slow");
        Path database = dir.resolve("jndi-db");
        var app = server.deploy(new Webapps.Spec("/shutdown").withProbe()
                .resource(Webapps.h2Resource("jdbc/apimodels", database))
                .param("apimodels.db.jndi", "java:comp/env/jdbc/apimodels")
                .engine(dir.resolve("data"), ADMIN_KEY, catalog));
        assertThat(app.started()).isTrue();
        app.grantCredits(ADMIN_KEY);

        List<String> warnings = new CopyOnWriteArrayList<>();
        Handler recorder = new Handler() {
            @Override
            public void publish(LogRecord record) {
                if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
                    warnings.add(record.getLoggerName() + ": " + new java.util.logging.SimpleFormatter().formatMessage(record));
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger root = Logger.getLogger("");
        root.addHandler(recorder);
        try {
            CompletableFuture<HttpResponse<String>> call = HttpClient.newHttpClient().sendAsync(HttpRequest.newBuilder(app.uri("/v1/chat/completions"))
                    .header("Authorization", "Bearer " + ADMIN_KEY).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"slow-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(arrived.await(30, TimeUnit.SECONDS)).as("the call reached the upstream (its hold is placed)").isTrue();

            CompletableFuture<Void> stopping = CompletableFuture.runAsync(() -> {
                try {
                    app.undeploy();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            // Tomcat waits (up to the context's unloadDelay, 30 s as in the sample WAR) for calls in
            // flight before it stops the application and its engine.
            Instant deadline = Instant.now().plusSeconds(30);
            while (app.context.getState() == LifecycleState.STARTED && Instant.now().isBefore(deadline)) {
                Thread.onSpinWait();
            }
            assertThat(app.context.getState()).as("the application is stopping").isEqualTo(LifecycleState.STOPPING_PREP);
            assertThat(stopping).as("the stop waits for the call").isNotDone();
            release.countDown(); // the upstream answers only now

            stopping.get(60, TimeUnit.SECONDS);
            HttpResponse<String> answer = call.get(60, TimeUnit.SECONDS);
            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
            assertThat(answer.body()).as("the call's own answer, not an exchange the container ended").contains("chat.completion");
        } finally {
            root.removeHandler(recorder);
        }
        assertThat(warnings).as("warnings while stopping").noneMatch(w -> w.contains("apimodels") || w.contains("ledger"));

        var h2 = new org.h2.jdbcx.JdbcDataSource();
        h2.setURL("jdbc:h2:file:" + database + Webapps.H2_MODE);
        try (var connection = h2.getConnection("sa", "");
             var pending = connection.createStatement().executeQuery("select count(*) from apimodels_hold where state = 'pending'");
             var charged = connection.createStatement().executeQuery("select coalesce(sum(posted), 0) from apimodels_hold where state = 'posted'")) {
            assertThat(pending.next()).isTrue();
            assertThat(pending.getLong(1)).as("holds left pending").isZero();
            assertThat(charged.next()).isTrue();
            assertThat(charged.getLong(1)).as("micros charged for the call").isEqualTo(1_000);
        }
    }
}
