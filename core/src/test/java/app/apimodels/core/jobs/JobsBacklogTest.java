package app.apimodels.core.jobs;

import app.apimodels.core.config.Settings;
import app.apimodels.core.db.Database;
import app.apimodels.core.testing.MutableClock;
import app.apimodels.core.testing.TestDatabases;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The job backlog the metrics show: due runs no node picked, per job type, and how late the oldest is. */
class JobsBacklogTest {

    @ParameterizedTest
    @MethodSource("app.apimodels.core.testing.TestDatabases#all")
    void dueUnpickedRunsAreCountedWithTheOldestOnesLateness(TestDatabases kind) {
        MutableClock clock = new MutableClock();
        Settings settings = new Settings(kind.config(Map.of()));
        try (Database db = Database.open(null, settings)) {
            row(db, "task-poll", "a", clock.instant().minus(Duration.ofMinutes(5)), false);
            row(db, "task-poll", "b", clock.instant().minus(Duration.ofMinutes(1)), false);
            row(db, "task-poll", "c", clock.instant().minus(Duration.ofMinutes(9)), true);   // a node is on it
            row(db, "task-poll", "d", clock.instant().plus(Duration.ofMinutes(1)), false);   // not due yet
            row(db, "retention", "recurring", clock.instant().plus(Duration.ofHours(1)), false);

            Jobs jobs = new Jobs(db.dataSource(), settings, clock);

            assertThat(jobs.backlog()).containsExactly(Map.entry("task-poll", new Jobs.Backlog(2, Duration.ofMinutes(5))));
        }
    }

    /** A job row as db-scheduler writes it (typed timestamps, which the engine's Sql helper binds as text). */
    private static void row(Database db, String name, String instance, java.time.Instant at, boolean picked) {
        try (var c = db.connection(); var ps = c.prepareStatement(
                "INSERT INTO apimodels_jobs (task_name, task_instance, execution_time, picked, version) VALUES (?, ?, ?, ?, 1)")) {
            ps.setString(1, name);
            ps.setString(2, instance);
            ps.setObject(3, at.atOffset(java.time.ZoneOffset.UTC));
            ps.setBoolean(4, picked);
            ps.executeUpdate();
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
