package app.apimodels.core.tasks;

import app.apimodels.core.accounts.Account;
import app.apimodels.core.accounts.Accounts;
import app.apimodels.core.accounts.Role;
import app.apimodels.core.catalog.ModelKind;
import app.apimodels.core.config.Settings;
import app.apimodels.core.db.Database;
import app.apimodels.core.db.Sql;
import app.apimodels.core.testing.MutableClock;
import app.apimodels.core.testing.TestDatabases;
import app.apimodels.spi.provider.Usage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The typed task meets the table's strings only here: every state change round-trips, and only once. */
class TaskStoreTest {

    private final MutableClock clock = new MutableClock();
    private Database db;
    private Sql sql;
    private TaskStore store;
    private Account account;

    private void open(TestDatabases kind) {
        db = Database.open(null, new Settings(kind.config(Map.of())));
        sql = new Sql(db);
        store = new TaskStore(sql);
        account = new Accounts(sql, clock).create("t@example.com", null, Role.USER);
    }

    @AfterEach
    void close() {
        if (db != null) {
            db.close();
        }
    }

    private void insert(String id, String callbackUrl) {
        store.insert(id, account.id(), 7L, ModelKind.SPEECH, "tts-1", Map.of("prompt", "hello, world", "n", 2L,
                "image_urls", List.of("https://a.example/1.png")), callbackUrl, "https://api.example", "hold-1", 5_000,
                clock.millis(), clock.millis() + 60_000);
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void aTaskRoundTripsThroughEveryStateOnce(TestDatabases kind) {
        open(kind);
        insert("task_a", "https://cb.example/hook");
        Task submitted = store.load("task_a").orElseThrow();
        assertThat(submitted.state()).isEqualTo(Task.State.SUBMITTING);
        assertThat(submitted.kind()).isEqualTo(ModelKind.SPEECH);
        assertThat(submitted.input()).isEqualTo(Map.of("prompt", "hello, world", "n", 2L,
                "image_urls", List.of("https://a.example/1.png")));
        assertThat(submitted.outputs()).isEmpty();
        assertThat(submitted.resultIds()).isEmpty();
        assertThat(submitted.usage()).isNull();
        assertThat(submitted.callbackState()).isEqualTo(Task.CallbackState.WAITING);
        assertThat(submitted.publicState()).isEqualTo("pending");

        assertThat(store.running("task_a", "fal", "fal-ai/tts", "up-1", clock.millis())).isTrue();
        assertThat(store.running("task_a", "fal", "fal-ai/tts", "up-2", clock.millis())).isFalse();
        assertThat(store.byUpstream("fal", "up-1")).map(Task::id).contains("task_a");
        store.polled("task_a");
        store.woken("task_a", 42);
        Task running = store.load("task_a").orElseThrow();
        assertThat(running.state()).isEqualTo(Task.State.RUNNING);
        assertThat(running.polls()).isEqualTo(1);
        assertThat(running.wokenAt()).isEqualTo(42L);

        List<Task.Output> outputs = List.of(new Task.Output("https://cdn.example/a.mp3?x=1,2", "audio/mpeg", 99, null),
                new Task.Output(null, "audio/mpeg", 98, "file_inline"));
        Usage usage = new Usage(0, 0, 0, 0, 0, 12);
        assertThat(store.rehosting("task_a", outputs, usage, clock.millis())).isTrue();
        assertThat(store.rehosting("task_a", outputs, usage, clock.millis())).isFalse();
        Task rehosting = store.load("task_a").orElseThrow();
        assertThat(rehosting.state()).isEqualTo(Task.State.REHOSTING);
        assertThat(rehosting.outputs()).isEqualTo(outputs);
        assertThat(rehosting.usage()).isEqualTo(usage);

        List<Task.Output> copied = List.of(outputs.get(0).withMedia("file_copy"), outputs.get(1));
        store.copied("task_a", copied, clock.millis());
        assertThat(store.load("task_a").orElseThrow().outputs()).isEqualTo(copied);

        assertThat(store.completing("task_a", 4_000, List.of("file_copy", "file_inline"), clock.millis())).isTrue();
        assertThat(store.failing("task_a", "too late", 504, clock.millis())).as("the outcome is decided once").isFalse();
        Task completing = store.load("task_a").orElseThrow();
        assertThat(completing.state()).isEqualTo(Task.State.COMPLETING);
        assertThat(completing.publicState()).as("shown once its hold has ended").isEqualTo("pending");
        assertThat(completing.callbackState()).isEqualTo(Task.CallbackState.WAITING);
        assertThat(completing.costMicros()).isEqualTo(4_000L);

        assertThat(store.ended("task_a", clock.millis())).isTrue();
        assertThat(store.ended("task_a", clock.millis())).isFalse();
        Task done = store.load("task_a").orElseThrow();
        assertThat(done.state()).isEqualTo(Task.State.COMPLETED);
        assertThat(done.terminal()).isTrue();
        assertThat(done.publicState()).isEqualTo("completed");
        assertThat(done.resultIds()).containsExactly("file_copy", "file_inline");
        assertThat(done.costMicros()).isEqualTo(4_000L);
        assertThat(done.failMsg()).isNull();
        assertThat(done.callbackState()).isEqualTo(Task.CallbackState.PENDING);

        store.callbackTried("task_a", 1, null);
        assertThat(store.load("task_a").orElseThrow().callbackState()).isEqualTo(Task.CallbackState.PENDING);
        store.callbackTried("task_a", 2, Task.CallbackState.DELIVERED);
        Task delivered = store.load("task_a").orElseThrow();
        assertThat(delivered.callbackState()).isEqualTo(Task.CallbackState.DELIVERED);
        assertThat(delivered.callbackTries()).isEqualTo(2);
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void aTaskFailsOnceAndWithoutACallbackNeedsNone(TestDatabases kind) {
        open(kind);
        insert("task_b", null);
        assertThat(store.load("task_b").orElseThrow().callbackState()).isNull();
        assertThat(store.failing("task_b", "the provider could not complete the task", 502, clock.millis())).isTrue();
        assertThat(store.failing("task_b", "again", 504, clock.millis())).isFalse();
        assertThat(store.completing("task_b", 1, List.of("file_x"), clock.millis())).isFalse();
        Task failing = store.load("task_b").orElseThrow();
        assertThat(failing.state()).isEqualTo(Task.State.FAILING);
        assertThat(failing.publicState()).isEqualTo("pending");
        assertThat(failing.failStatus()).isEqualTo(502);
        assertThat(store.ended("task_b", clock.millis())).isTrue();
        Task failed = store.load("task_b").orElseThrow();
        assertThat(failed.state()).isEqualTo(Task.State.FAILED);
        assertThat(failed.publicState()).isEqualTo("failed");
        assertThat(failed.failMsg()).isEqualTo("the provider could not complete the task");
        assertThat(failed.costMicros()).isZero();
        assertThat(failed.resultIds()).isEmpty();
        assertThat(failed.callbackState()).isNull();
        assertThat(store.load("task_missing")).isEmpty();
    }
}
