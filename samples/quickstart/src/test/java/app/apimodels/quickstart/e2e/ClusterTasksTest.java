package app.apimodels.quickstart.e2e;

import app.apimodels.core.testing.TestDatabases;
import app.apimodels.testkit.MockReplicateUpstream;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two nodes on one PostgreSQL database share the task jobs: every task submitted to either is
 * finished exactly once — one charge, one call-log row, one callback — whichever node runs it.
 */
class ClusterTasksTest extends EndToEndTest {

    final MockReplicateUpstream replicate = new MockReplicateUpstream();
    final CallbackReceiver callbacks = new CallbackReceiver();
    Gateway second;

    @AfterEach
    void stopAll() {
        if (second != null) {
            second.close();
        }
        replicate.close();
        callbacks.close();
    }

    @Test
    void tasksAreFinishedOnceAcrossTwoNodes() throws Exception {
        Map<String, String> settings = TasksTest.settings(replicate, callbacks);
        settings.put("apimodels.keys.pepper", "cluster-test-pepper-0123456789abcdef0123456789");
        gateway = Gateway.start(TestDatabases.POSTGRESQL, TasksTest.catalog(replicate), dir, settings);
        second = gateway.peer(dir.resolve("second"));
        replicate.pendingPolls(3).outputs("image/png", 1);
        Gateway.User u = gateway.user(10_000_000);

        int tasks = 20;
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < tasks; i++) {
            Gateway node = i % 2 == 0 ? gateway : second;
            var r = Gateway.expect(node.send("POST", "/api/v1/images/generations", u.key(),
                    "{\"model\":\"test-image\",\"prompt\":\"n" + i + "\",\"callback_url\":\"" + callbacks.url() + "\"}"), 200);
            ids.add(Gateway.json(r).get("data").get("taskId").asText());
        }
        Set<String> called = new HashSet<>();
        for (int i = 0; i < tasks; i++) {
            JsonNode data = Gateway.JSON.readTree(callbacks.next(60).body()).get("data");
            assertThat(data.get("state").asText()).isEqualTo("completed");
            assertThat(called.add(data.get("taskId").asText())).as("one callback per task").isTrue();
        }
        assertThat(called).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(gateway.balance(u)).isEqualTo(10_000_000 - tasks * TasksTest.PER_IMAGE);
        assertThat(second.balance(u)).isEqualTo(10_000_000 - tasks * TasksTest.PER_IMAGE);
        assertThat(gateway.held(u)).isZero();
        assertThat(gateway.queryLong("SELECT COUNT(*) FROM apimodels_call_log WHERE endpoint = 'image/generations'")).isEqualTo(tasks);
        assertThat(gateway.queryLong("SELECT COUNT(*) FROM apimodels_transfer WHERE kind = 'post'")).isEqualTo(tasks);
        assertThat(gateway.queryLong("SELECT COALESCE(SUM(balance), 0) FROM apimodels_ledger_account")).isZero();
        // No callback beyond one per task arrived meanwhile.
        assertThat(callbacks.received()).isZero();
    }
}
