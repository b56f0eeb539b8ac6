package app.apimodels.core.engine;

import app.apimodels.core.engine.EngineHarness.User;
import app.apimodels.core.testing.MutableClock;
import app.apimodels.core.testing.TestDatabases;
import app.apimodels.spi.provider.TaskOutput;
import app.apimodels.spi.provider.TaskUpdate;
import app.apimodels.testkit.MockMedia;
import app.apimodels.testkit.web.MockExchange;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

import static app.apimodels.core.engine.EngineHarness.CHAT_COST;
import static app.apimodels.core.engine.EngineHarness.PER_IMAGE;
import static app.apimodels.core.engine.EngineHarness.WAIT;
import static app.apimodels.core.engine.EngineHarness.expect;
import static app.apimodels.core.engine.EngineHarness.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What an account sees of its own activity: spend per day and model from the call log (exact to
 * the micro, days cut at the caller's UTC offset), its tasks with signed links to their files, its
 * files, and deleting one — never another account's.
 */
class AccountActivityTest {

    static final String CHAT = "{\"model\":\"test-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}";
    static final String IMAGE = "{\"model\":\"test-image\",\"prompt\":\"a cat\"}";

    @TempDir
    Path dir;
    EngineHarness gateway;

    static Stream<TestDatabases> databases() {
        return TestDatabases.all();
    }

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
    }

    @ParameterizedTest
    @MethodSource("databases")
    void spendPerDayAndModelAddsUpToTheChargesAndIsTheCallersOwn(TestDatabases database) throws Exception {
        MutableClock clock = new MutableClock(); // 2026-01-01T00:00Z
        gateway = EngineHarness.start(dir, database.settings(), b -> b.clock(clock));
        gateway.upstream.onSubmit = r -> CompletableFuture.completedFuture(
                TaskUpdate.succeeded(null, List.of(TaskOutput.bytes(MockMedia.sample("image/png"), "image/png")), null));
        User u = gateway.user(1_000_000);
        User other = gateway.user(1_000_000);

        clock.advance(Duration.ofHours(10));            // 1 January, 10:00 UTC
        for (int i = 0; i < 3; i++) {
            expect(gateway.post("/v1/chat/completions", u.key(), CHAT), 200);
        }
        expect(gateway.post("/v1/chat/completions", other.key(), CHAT), 200);
        clock.advance(Duration.ofHours(13).plusMinutes(30)); // 1 January, 23:30 UTC: 2 January from UTC+01:00
        String taskId = json(expect(gateway.post("/api/v1/images/generations", u.key(), IMAGE), 200)).at("/data/taskId").asText();
        await().atMost(WAIT).until(() -> gateway.held(u) == 0 && gateway.balance(u) == 1_000_000 - 3 * CHAT_COST - PER_IMAGE);
        clock.advance(Duration.ofHours(1));

        JsonNode utc = json(expect(gateway.get("/api/v1/account/spend", u.key()), 200));
        assertThat(utc.get("data")).hasSize(2);
        assertThat(utc.at("/data/0/date").asText()).isEqualTo("2026-01-01");
        assertThat(utc.at("/data/0/model").asText()).isEqualTo("test-chat");
        assertThat(utc.at("/data/0/calls").asLong()).isEqualTo(3);
        assertThat(utc.at("/data/0/cost_micros").asLong()).isEqualTo(3 * CHAT_COST);
        assertThat(utc.at("/data/1/date").asText()).isEqualTo("2026-01-01");
        assertThat(utc.at("/data/1/model").asText()).isEqualTo("test-image");
        assertThat(utc.at("/data/1/cost_micros").asLong()).isEqualTo(PER_IMAGE);
        assertThat(utc.get("total_cost_micros").asLong()).as("what the wallet lost").isEqualTo(1_000_000 - gateway.balance(u));

        JsonNode east = json(expect(gateway.get("/api/v1/account/spend?utc_offset_minutes=60", u.key()), 200));
        assertThat(east.at("/data/1/date").asText()).as("23:30 UTC is the next day at UTC+01:00").isEqualTo("2026-01-02");
        assertThat(east.at("/data/0/date").asText()).isEqualTo("2026-01-01");

        long tenThirty = Instant.parse("2026-01-01T10:30:00Z").toEpochMilli();
        JsonNode morning = json(expect(gateway.get("/api/v1/account/spend?from=" + Instant.parse("2026-01-01T00:00:00Z").toEpochMilli() + "&to=" + tenThirty, u.key()), 200));
        assertThat(morning.get("data")).singleElement().satisfies(d -> assertThat(d.get("model").asText()).isEqualTo("test-chat"));

        JsonNode theirs = json(expect(gateway.get("/api/v1/account/spend", other.key()), 200));
        assertThat(theirs.get("data")).singleElement().satisfies(d -> assertThat(d.get("calls").asLong()).isEqualTo(1));

        assertThat(json(expect(gateway.get("/api/v1/account/tasks", u.key()), 200)).at("/data/0/taskId").asText()).isEqualTo(taskId);
    }

    @ParameterizedTest
    @MethodSource("databases")
    void refusesASpendRangeItCannotServeNamingTheField(TestDatabases database) throws Exception {
        gateway = EngineHarness.start(dir, database.settings());
        User u = gateway.user(0);

        assertThat(expect(gateway.get("/api/v1/account/spend?from=10&to=5", u.key()), 400).bodyText()).contains("from");
        assertThat(expect(gateway.get("/api/v1/account/spend?from=0&to=" + Duration.ofDays(400).toMillis(), u.key()), 400).bodyText())
                .contains("366 days");
        assertThat(expect(gateway.get("/api/v1/account/spend?utc_offset_minutes=900", u.key()), 400).bodyText()).contains("utc_offset_minutes");
        assertThat(expect(gateway.get("/api/v1/account/spend?to=x", u.key()), 400).bodyText()).contains("to");
        assertThat(json(expect(gateway.get("/api/v1/account/spend", u.key()), 200)).get("data")).isEmpty();
    }

    @ParameterizedTest
    @MethodSource("databases")
    void listsItsTasksAndFilesWithSignedLinksAndDeletesOnlyItsOwn(TestDatabases database) throws Exception {
        gateway = EngineHarness.start(dir, database.settings());
        gateway.upstream.onSubmit = r -> CompletableFuture.completedFuture(
                TaskUpdate.succeeded(null, List.of(TaskOutput.bytes(MockMedia.sample("image/png"), "image/png")), null));
        User u = gateway.user(1_000_000);
        User other = gateway.user(1_000_000);
        String taskId = json(expect(gateway.post("/api/v1/images/generations", u.key(), IMAGE), 200)).at("/data/taskId").asText();
        await().atMost(WAIT).until(() -> "completed".equals(
                json(expect(gateway.get("/api/v1/account/tasks", u.key()), 200)).at("/data/0/state").asText()));

        JsonNode task = json(expect(gateway.get("/api/v1/account/tasks", u.key()), 200)).at("/data/0");
        assertThat(task.get("taskId").asText()).isEqualTo(taskId);
        assertThat(task.get("kind").asText()).isEqualTo("image");
        assertThat(task.get("model").asText()).isEqualTo("test-image");
        assertThat(task.get("prompt").asText()).isEqualTo("a cat");
        assertThat(task.get("cost_micros").asLong()).isEqualTo(PER_IMAGE);
        JsonNode file = task.at("/files/0");
        assertThat(file.get("mimeType").asText()).isEqualTo("image/png");
        assertThat(file.get("kind").asText()).isEqualTo("output");
        String link = file.get("fileUrl").asText();
        assertThat(link).contains("signature=");
        MockExchange.Answer served = gateway.call(MockExchange.get(link.substring("http://localhost".length())));
        assertThat(served.status()).isEqualTo(200);
        assertThat(served.body()).isEqualTo(MockMedia.sample("image/png"));

        JsonNode files = json(expect(gateway.get("/api/v1/account/files", u.key()), 200)).get("data");
        assertThat(files).singleElement().satisfies(f -> {
            assertThat(f.get("fileId").asText()).isEqualTo(file.get("fileId").asText());
            assertThat(f.get("taskId").asText()).isEqualTo(taskId);
        });
        assertThat(json(expect(gateway.get("/api/v1/account/tasks", other.key()), 200)).get("data")).isEmpty();
        assertThat(json(expect(gateway.get("/api/v1/account/files", other.key()), 200)).get("data")).isEmpty();
        assertThat(json(expect(gateway.get("/api/v1/account/files?before=" + (file.get("createTime").asLong()), u.key()), 200))
                .get("data")).as("a page before the file").isEmpty();

        String fileId = file.get("fileId").asText();
        expect(gateway.send("DELETE", "/api/v1/uploads/" + fileId, other.key(), null), 404);
        expect(gateway.send("DELETE", "/api/v1/uploads/" + fileId, u.key(), null), 200);
        assertThat(json(expect(gateway.get("/api/v1/account/files", u.key()), 200)).get("data")).isEmpty();
        assertThat(json(expect(gateway.get("/api/v1/account/tasks", u.key()), 200)).at("/data/0/files")).isEmpty();
        assertThat(gateway.call(MockExchange.get(link.substring("http://localhost".length()))).status()).isEqualTo(404);
        expect(gateway.get("/api/v1/account/tasks?limit=0", u.key()), 400);
    }
}
