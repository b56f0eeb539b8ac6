package app.apimodels.quickstart.e2e;

import app.apimodels.core.testing.TestDatabases;
import app.apimodels.testkit.MockOpenAiUpstream;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class IdempotencyAndIsolationTest extends EndToEndTest {

    private static final String CHAT = "{\"model\":\"test-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":50}";



    private HttpResponse<String> keyed(Gateway.User u, String idemKey, String body) throws Exception {
        return gateway.http.send(HttpRequest.newBuilder(gateway.uri("/v1/chat/completions"))
                .header("Authorization", "Bearer " + u.key()).header("Content-Type", "application/json")
                .header("Idempotency-Key", idemKey).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aRetriedCallWithTheSameIdempotencyKeyIsChargedOnce() throws Exception {
        gateway = Gateway.start(TestDatabases.POSTGRESQL, Catalogs.openAi(upstream.baseUrl(), null, "jdk", 30), dir, Map.of());
        Gateway.User u = gateway.user(1_000_000);
        HttpResponse<String> first = Gateway.expect(keyed(u, "retry-1", CHAT), 200);
        HttpResponse<String> second = Gateway.expect(keyed(u, "retry-1", CHAT), 200);
        assertThat(second.body()).isEqualTo(first.body());
        assertThat(second.headers().firstValue("Idempotent-Replayed")).contains("true");
        assertThat(upstream.server().getAllServeEvents()).hasSize(1);
        assertThat(gateway.balance(u)).isEqualTo(1_000_000 - Catalogs.MOCK_CALL_COST);
        HttpResponse<String> reused = keyed(u, "retry-1", CHAT.replace("hi", "bye"));
        assertThat(reused.statusCode()).isEqualTo(409);
        assertThat(Gateway.json(reused).at("/error/code").asText()).isEqualTo("idempotency_conflict");
        // keys are per account: another account's same key is a new request
        Gateway.User other = gateway.user(1_000_000);
        Gateway.expect(keyed(other, "retry-1", CHAT), 200);
        assertThat(gateway.balance(other)).isEqualTo(1_000_000 - Catalogs.MOCK_CALL_COST);
    }

    @Test
    void aCompletedStreamIsReplayedAndABrokenOneRunsAgain() throws Exception {
        gateway = Gateway.start(TestDatabases.H2, Catalogs.openAi(upstream.baseUrl(), null, "jdk", 30), dir, Map.of());
        Gateway.User u = gateway.user(1_000_000);
        String stream = CHAT.replace("{", "{\"stream\":true,");
        HttpResponse<String> first = Gateway.expect(keyed(u, "stream-1", stream), 200);
        HttpResponse<String> again = Gateway.expect(keyed(u, "stream-1", stream), 200);
        assertThat(again.body()).isEqualTo(first.body()).endsWith("data: [DONE]\n\n");
        assertThat(gateway.balance(u)).isEqualTo(1_000_000 - Catalogs.MOCK_CALL_COST);

        upstream.cutStreams();
        assertThat(Gateway.expect(keyed(u, "stream-2", stream), 200).body()).doesNotContain("[DONE]");
        upstream.reset();
        assertThat(Gateway.expect(keyed(u, "stream-2", stream), 200).body()).endsWith("data: [DONE]\n\n");
        assertThat(gateway.balance(u)).isEqualTo(1_000_000 - 2 * Catalogs.MOCK_CALL_COST);
    }

    @Test
    void anotherAccountsKeysAndLogsStayInvisible() throws Exception {
        gateway = Gateway.start(TestDatabases.H2, Catalogs.openAi(upstream.baseUrl(), null, "jdk", 30), dir, Map.of());
        Gateway.User a = gateway.user(1_000_000);
        Gateway.User b = gateway.user(1_000_000);
        Gateway.expect(gateway.send("POST", "/v1/chat/completions", a.key(), CHAT), 200);
        long aKey = Gateway.json(gateway.send("GET", "/api/v1/account/keys", a.key(), null)).at("/data/0/id").asLong();
        assertThat(gateway.send("DELETE", "/api/v1/account/keys/" + aKey, b.key(), null).statusCode()).isEqualTo(404);
        assertThat(gateway.usage(b)).isEmpty();
        assertThat(Gateway.json(gateway.send("GET", "/api/v1/account/keys", b.key(), null)).get("data")).hasSize(1);
        assertThat(gateway.send("GET", "/admin/users/" + a.id(), b.key(), null).statusCode()).isEqualTo(403);
        Gateway.expect(gateway.send("POST", "/v1/chat/completions", a.key(), CHAT), 200); // a's key still works
    }
}
