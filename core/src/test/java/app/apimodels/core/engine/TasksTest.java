package app.apimodels.core.engine;

import app.apimodels.core.engine.EngineHarness.User;
import app.apimodels.spi.provider.TaskOutput;
import app.apimodels.spi.provider.TaskState;
import app.apimodels.spi.provider.TaskUpdate;
import app.apimodels.testkit.MockMedia;
import app.apimodels.testkit.web.MockExchange;
import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

import static app.apimodels.core.engine.EngineHarness.PER_IMAGE;
import static app.apimodels.core.engine.EngineHarness.WAIT;
import static app.apimodels.core.engine.EngineHarness.expect;
import static app.apimodels.core.engine.EngineHarness.json;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Generation tasks through the engine's public surface: submitted, followed by polling (the
 * engine's durable jobs), the upstream's output copied into the engine's own storage and charged
 * once; a failed task charged nothing.
 */
class TasksTest {

    static final String IMAGE = "{\"model\":\"test-image\",\"prompt\":\"a cat\"}";
    static final long LINGER_MS = 400;

    @TempDir
    static Path dir;
    static EngineHarness gateway;
    /** Where the scripted upstream's output files live, as a real provider's CDN would serve them. */
    static final WireMockServer files = new WireMockServer(options().dynamicPort());

    @BeforeAll
    static void start() throws Exception {
        files.start();
        files.stubFor(get("/outputs/cat.png").willReturn(aResponse().withHeader("Content-Type", "image/png")
                .withBody(MockMedia.sample("image/png"))));
        // A settlement writer that lingers long: a task shown finished before its hold's end is
        // committed would be seen here with its hold still pending. (Every read of money through
        // this node flushes its writer first; a read through another node, as holdState does, does not.)
        gateway = EngineHarness.start(dir, Map.of("apimodels.fetch.allowed-private-hosts", "localhost:" + files.port(),
                "apimodels.ledger.settle-linger-ms", String.valueOf(LINGER_MS)));
    }

    @AfterAll
    static void stop() {
        gateway.close();
        files.stop();
    }

    @BeforeEach
    void reset() {
        gateway.upstream.reset();
        files.resetRequests();
    }

    @Test
    void aTaskCompletesByPollingItsOutputIsCopiedAndItIsChargedOnce() throws Exception {
        AtomicInteger polls = new AtomicInteger();
        URI output = URI.create("http://localhost:" + files.port() + "/outputs/cat.png");
        gateway.upstream.onSubmit = r -> CompletableFuture.completedFuture(TaskUpdate.pending("up-1", TaskState.QUEUED));
        gateway.upstream.onPoll = id -> CompletableFuture.completedFuture(polls.incrementAndGet() < 2
                ? TaskUpdate.pending(id, TaskState.RUNNING)
                : TaskUpdate.succeeded(id, List.of(TaskOutput.url(output, "image/png", null)), null));
        User u = gateway.user(1_000_000);

        JsonNode submitted = json(expect(gateway.post("/api/v1/images/generations", u.key(), IMAGE), 200)).get("data");
        assertThat(submitted.get("state").asText()).isEqualTo("pending");
        assertThat(gateway.upstream.submissions).singleElement().satisfies(r -> {
            assertThat(r.upstreamModel()).isEqualTo("upstream-image");
            assertThat(r.input()).containsEntry("prompt", "a cat");
        });
        assertThat(gateway.held(u)).as("the price of one image is held while it runs").isEqualTo(PER_IMAGE);

        JsonNode done = awaitFinished(u, submitted.get("taskId").asText());
        assertThat(done.get("state").asText()).isEqualTo("completed");
        assertThat(holdState(submitted.get("taskId").asText())).as("charged by the time it shows completed").isEqualTo("posted");
        assertThat(gateway.upstream.polls).hasSize(2).containsOnly("up-1");
        files.verify(1, getRequestedFor(urlEqualTo("/outputs/cat.png")));

        // The link is the engine's own: served from its storage, not the upstream's.
        String link = done.get("resultUrls").get(0).asText();
        assertThat(link).startsWith("http://localhost/media/file_");
        MockExchange.Answer file = gateway.call(MockExchange.get(link.substring("http://localhost".length())));
        assertThat(file.status()).isEqualTo(200);
        assertThat(file.contentType()).isEqualTo("image/png");
        assertThat(file.body()).isEqualTo(MockMedia.sample("image/png"));
        files.verify(1, getRequestedFor(urlEqualTo("/outputs/cat.png")));
        try (Stream<Path> stored = Files.walk(dir.resolve("data/media"))) {
            assertThat(stored.filter(Files::isRegularFile)).as("the copy in the engine's local storage")
                    .anySatisfy(f -> assertThat(Files.readAllBytes(f)).endsWith(MockMedia.sample("image/png")));
        }
        assertThat(gateway.charges(u)).containsExactly(-PER_IMAGE);
        assertThat(gateway.balance(u)).isEqualTo(1_000_000 - PER_IMAGE);
        assertThat(gateway.held(u)).isZero();
    }

    @Test
    void aFailedTaskCostsNothing() throws Exception {
        gateway.upstream.onSubmit = r -> CompletableFuture.completedFuture(TaskUpdate.pending("up-2", TaskState.RUNNING));
        gateway.upstream.onPoll = id -> CompletableFuture.completedFuture(TaskUpdate.failed(id, "the prompt was refused"));
        User u = gateway.user(1_000_000);

        String taskId = json(expect(gateway.post("/api/v1/images/generations", u.key(), IMAGE), 200)).at("/data/taskId").asText();
        JsonNode done = awaitFinished(u, taskId);

        assertThat(holdState(taskId)).as("released by the time it shows failed").isEqualTo("voided");
        assertThat(done.get("state").asText()).isEqualTo("failed");
        assertThat(done.get("failMsg").asText()).isEqualTo("the prompt was refused");
        assertThat(gateway.charges(u)).isEmpty();
        assertThat(gateway.balance(u)).isEqualTo(1_000_000);
        assertThat(gateway.held(u)).isZero();
    }

    @Test
    void aSynchronousUpstreamCompletesAtOnceWithItsBytesStored() throws Exception {
        gateway.upstream.onSubmit = r -> CompletableFuture.completedFuture(TaskUpdate.succeeded("sync-1",
                List.of(TaskOutput.bytes(MockMedia.sample("image/png"), null)), null));
        User u = gateway.user(1_000_000);

        JsonNode data = json(expect(gateway.post("/api/v1/images/generations", u.key(), IMAGE), 200)).get("data");

        assertThat(holdState(data.get("taskId").asText())).as("charged before the answer").isEqualTo("posted");
        assertThat(data.get("state").asText()).isEqualTo("completed");
        assertThat(data.get("resultUrls")).hasSize(1);
        assertThat(gateway.upstream.polls).isEmpty();
        assertThat(gateway.balance(u)).isEqualTo(1_000_000 - PER_IMAGE);
    }

    /**
     * A run that decided a task's outcome and stopped (a crash) before its hold ended, or before
     * the task showed it: the task's job finishes both, once. The state is set as that run left it.
     */
    @ParameterizedTest
    @CsvSource({"failing, 504, 1000000", "completing, , 960000"})
    void aRunStoppedBetweenDecidingAnOutcomeAndShowingItIsFinishedByTheTasksJob(String state, Integer failStatus, long balance)
            throws Exception {
        gateway.upstream.onSubmit = r -> CompletableFuture.completedFuture(TaskUpdate.pending("up-4", TaskState.RUNNING));
        gateway.upstream.onPoll = id -> CompletableFuture.completedFuture(TaskUpdate.pending(id, TaskState.RUNNING));
        User u = gateway.user(1_000_000);
        String taskId = json(expect(gateway.post("/api/v1/images/generations", u.key(), IMAGE), 200)).at("/data/taskId").asText();

        try (Connection c = DriverManager.getConnection(h2Url());
             PreparedStatement ps = c.prepareStatement("UPDATE apimodels_task SET state = ?, fail_msg = ?, fail_status = ?, "
                     + "cost_micros = ?, result_ids = '', completed_at = ? WHERE id = ? AND state = 'running'")) {
            boolean failing = state.equals("failing");
            ps.setString(1, state);
            ps.setString(2, failing ? "the task did not finish within 600 seconds" : null);
            ps.setObject(3, failStatus);
            ps.setLong(4, failing ? 0 : PER_IMAGE);
            ps.setLong(5, System.currentTimeMillis());
            ps.setString(6, taskId);
            assertThat(ps.executeUpdate()).as("the task was running").isEqualTo(1);
        }
        JsonNode done = awaitFinished(u, taskId);

        assertThat(done.get("state").asText()).isEqualTo(state.equals("failing") ? "failed" : "completed");
        assertThat(gateway.charges(u)).isEqualTo(state.equals("failing") ? List.of() : List.of(-PER_IMAGE));
        assertThat(gateway.balance(u)).isEqualTo(balance);
        assertThat(gateway.held(u)).isZero();
        JsonNode calls = json(expect(gateway.get("/api/v1/account/usage", u.key()), 200)).get("data");
        assertThat(calls).as("the task's call, logged once").singleElement()
                .satisfies(call -> assertThat(call.get("status").asInt()).isEqualTo(failStatus == null ? 200 : failStatus));
    }

    /** The task's hold as the database has it, read as another node would (without flushing this node's writer). */
    private static String holdState(String taskId) throws Exception {
        try (Connection c = DriverManager.getConnection(h2Url());
             PreparedStatement ps = c.prepareStatement("SELECT h.state FROM apimodels_hold h JOIN apimodels_task t ON t.hold_id = h.id"
                     + " WHERE t.id = ?")) {
            ps.setString(1, taskId);
            try (var rs = ps.executeQuery()) {
                assertThat(rs.next()).as("task " + taskId + " has a hold").isTrue();
                return rs.getString(1);
            }
        }
    }

    /** The engine's own H2 database, opened beside it in this JVM (one database, shared). */
    private static String h2Url() {
        return "jdbc:h2:file:" + dir.resolve("data").toAbsolutePath().normalize().resolve("apimodels")
                + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;DB_CLOSE_ON_EXIT=FALSE";
    }

    @Test
    void anotherAccountsTaskIsNotFound() {
        gateway.upstream.onSubmit = r -> CompletableFuture.completedFuture(TaskUpdate.pending("up-3", TaskState.RUNNING));
        gateway.upstream.onPoll = id -> CompletableFuture.completedFuture(TaskUpdate.pending(id, TaskState.RUNNING));
        User owner = gateway.user(1_000_000);
        User other = gateway.user(1_000_000);
        String taskId = json(expect(gateway.post("/api/v1/images/generations", owner.key(), IMAGE), 200)).at("/data/taskId").asText();

        expect(gateway.get("/api/v1/images/generations?task_id=" + taskId, other.key()), 404);
        expect(gateway.get("/api/v1/images/generations?task_id=" + taskId, owner.key()), 200);
    }

    /** Reads the task until it is completed or failed; the engine's jobs move it on their own threads. */
    private static JsonNode awaitFinished(User u, String taskId) {
        Instant deadline = Instant.now().plus(WAIT);
        while (true) {
            JsonNode data = json(expect(gateway.get("/api/v1/images/generations?task_id=" + taskId, u.key()), 200)).get("data");
            if (!"pending".equals(data.get("state").asText())) {
                return data;
            }
            assertThat(Instant.now()).as("task " + taskId + " finished in time").isBefore(deadline);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20)); // between reads, not instead of a condition
        }
    }
}
