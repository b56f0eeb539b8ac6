package app.apimodels.servlet;

import org.junit.jupiter.api.Test;
import org.postgresql.util.LazyCleaner;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * PostgreSQL's cleaner thread, started while the application ran, would idle for its 30 s before
 * ending and keep the application's driver copy (and class loader) until then; once the engine has
 * closed its connections, the adapter ends it at once.
 */
class LingeringThreadsTest {

    @Test
    void endsThePostgresqlCleanerThreadOnceItHasNothingLeftToClean() {
        LingeringThreads threads = LingeringThreads.from(getClass().getClassLoader());
        // The driver's own cleaner, as its singleton is made; a connection registers with it and
        // unregisters when it closes.
        LazyCleaner cleaner = new LazyCleaner(Duration.ofSeconds(30), LingeringThreads.POSTGRESQL_CLEANER);
        cleaner.register(new Object(), leak -> { }).clean();
        assertThat(cleaner.isThreadRunning()).as("idling with nothing to clean").isTrue();

        threads.await();

        // Set as its thread leaves its loop; await() then joined the thread.
        assertThat(cleaner.isThreadRunning()).isFalse();
    }
}
