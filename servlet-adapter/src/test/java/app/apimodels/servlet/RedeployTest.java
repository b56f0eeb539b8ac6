package app.apimodels.servlet;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.lang.ref.WeakReference;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Stopping and starting the application again and again in one server leaves nothing behind: no
 * thread, no JDBC driver, nothing that keeps an old application's class loader alive. Each round
 * makes a call that goes upstream through the engine's JDK transport, so its threads really run.
 */
@Timeout(600)
class RedeployTest {

    private static final String ADMIN_KEY = "redeploy-admin-key-12345";
    private static final int ROUNDS = 5;
    /** Tomcat's own leak detection at undeploy reports here; it must have nothing to say. */
    private static final Logger TOMCAT_LEAK_CHECKS = Logger.getLogger("org.apache.catalina.loader.WebappClassLoaderBase");

    @TempDir
    static Path dir;
    private static Webapps server;
    private static final List<String> leakWarnings = new CopyOnWriteArrayList<>();
    private static final Handler recorder = new Handler() {
        @Override
        public void publish(LogRecord record) {
            if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
                leakWarnings.add(new java.util.logging.SimpleFormatter().formatMessage(record));
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeAll
    static void startServer() throws Exception {
        server = Webapps.start(dir);
        TOMCAT_LEAK_CHECKS.addHandler(recorder);
    }

    @AfterAll
    static void stopServer() throws Exception {
        TOMCAT_LEAK_CHECKS.removeHandler(recorder);
        if (server != null) {
            server.close();
        }
    }

    @Test
    void redeployingLeavesNoThreadDriverOrClassLoaderBehind() throws Exception {
        // The provider calls the application's own health endpoint.
        Path catalog = Webapps.probeChatCatalog(dir, "loop", server.uri("/cycle/health/live").toString());
        Webapps.Spec spec = new Webapps.Spec("/cycle").withProbe()
                .engine(dir.resolve("data"), ADMIN_KEY, catalog)
                // Tight enough that the job runner polls during every round.
                .param("apimodels.jobs.poll-interval-ms", "100");
        Webapps.Deployment app = null;
        List<WeakReference<ClassLoader>> loaders = new ArrayList<>();
        for (int round = 1; round <= ROUNDS; round++) {
            if (app == null) {
                app = server.deploy(spec);
                assertThat(app.started()).isTrue();
                app.grantCredits(ADMIN_KEY);
            } else {
                app.start();
            }
            assertThat(app.started()).as("round %d started", round).isTrue();
            var answer = app.chat(ADMIN_KEY, "loop-chat");
            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
            assertThat(answer.body()).contains("upstream answered 200");
            WeakReference<ClassLoader> loader = app.classLoader();
            loaders.add(loader);

            app.stop();

            assertThat(engineThreads(loader.get())).as("threads alive after round %d", round).isEmpty();
            assertThat(leakWarnings).as("Tomcat's leak checks after round %d", round).isEmpty();
        }
        app.undeploy();
        app = null; // the test's own reference to the context

        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (loaders.stream().anyMatch(loader -> loader.get() != null) && Instant.now().isBefore(deadline)) {
            System.gc();
        }
        List<Integer> kept = java.util.stream.IntStream.range(0, ROUNDS).filter(i -> loaders.get(i).get() != null)
                .mapToObj(i -> i + 1).toList();
        assertThat(kept).as("rounds whose class loader is still reachable").isEmpty();
    }

    /** Threads that belong to the application: its context loader, or an engine or job-runner name. */
    private static List<String> engineThreads(ClassLoader application) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive)
                .filter(thread -> thread.getContextClassLoader() == application
                        || thread.getName().toLowerCase(Locale.ROOT).startsWith("apimodels")
                        || thread.getName().toLowerCase(Locale.ROOT).contains("db-scheduler"))
                .map(Thread::getName)
                .toList();
    }
}
