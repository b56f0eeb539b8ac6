package app.apimodels.quickstart.e2e;

import app.apimodels.core.testing.TestDatabases;
import app.apimodels.spi.provider.Usage;
import app.apimodels.testkit.MockOpenAiUpstream;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * 200 concurrent calls from one account whose balance covers 50, on PostgreSQL, through HTTP —
 * on one node, and on two nodes that both lease budget from the same wallet.
 */
class ConcurrentSpendingTest extends EndToEndTest {

    /** Worst case of the request below: prompt bound 13 tokens × 10 + max_tokens 5 × 30 = 280 micros. */
    private static final long HOLD = 280;
    private static final String CHAT = "{\"model\":\"test-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":5}";



    @Test
    void atMostWhatTheBalanceCoversSucceedsAndTheBooksBalance() throws Exception {
        // The upstream reports exactly the worst case, so each success costs its whole hold.
        upstream.usage(Usage.tokens(13, 0, 5));
        gateway = Gateway.start(TestDatabases.POSTGRESQL, Catalogs.openAi(upstream.baseUrl(), null, "jetty", 30), dir, Map.of());
        Gateway.User u = gateway.user(50 * HOLD);

        int ok = spendConcurrently(u, 200, gateway);
        assertThat(ok).isEqualTo(50);

        long balance = gateway.balance(u);
        assertThat(balance).isZero();
        assertThat(gateway.held(u)).isZero();
        // balance = grants − charges, from the user's own ledger view
        JsonNode ledger = Gateway.json(Gateway.expect(gateway.send("GET", "/api/v1/account/ledger?limit=1000", u.key(), null), 200)).get("data");
        long sum = 0;
        for (JsonNode t : ledger) {
            sum += t.get("amount_micros").asLong();
        }
        assertThat(sum).isEqualTo(balance);
        assertBooksBalance();
        assertThat(gateway.queryLong("SELECT COUNT(*) FROM apimodels_call_log WHERE status = 200")).isEqualTo(50);
        assertThat(gateway.queryLong("SELECT COUNT(*) FROM apimodels_call_log WHERE status = 402")).isEqualTo(150);
        assertThat(upstream.server().getAllServeEvents()).hasSize(50);
    }

    @Test
    void twoNodesLeasingFromOneWalletNeverSpendMoreThanItHoldsAndGiveEverythingBack() throws Exception {
        upstream.usage(Usage.tokens(13, 0, 5));
        gateway = Gateway.start(TestDatabases.POSTGRESQL, Catalogs.openAi(upstream.baseUrl(), null, "jetty", 30), dir,
                Map.of("apimodels.keys.pepper", "spending-test-pepper-0123456789abcdef0123456789"));
        Gateway second = gateway.peer(dir.resolve("second"));
        try {
            Gateway.User u = gateway.user(60 * HOLD);
            int ok = spendConcurrently(u, 200, gateway, second);
            // Never more than the wallet covers; a node may refuse while the other still holds a
            // lease, so not necessarily all of it at once.
            assertThat(ok).isBetween(30, 60);
            // A balance read gives back what that node leased (the other node's lease still shows
            // as held); once both nodes have read it, the numbers are exact and nothing is held.
            assertThat(second.balance(u)).isBetween(0L, (60 - ok) * HOLD);
            assertThat(gateway.balance(u)).isEqualTo((60 - ok) * HOLD);
            assertThat(gateway.held(u)).isZero();
            assertThat(second.balance(u)).isEqualTo((60 - ok) * HOLD);
            assertBooksBalance();
            // Whatever is left can still be spent to the last micro, one call at a time.
            int more = 0;
            for (HttpResponse<String> r = second.send("POST", "/v1/chat/completions", u.key(), CHAT); r.statusCode() != 402;
                 r = second.send("POST", "/v1/chat/completions", u.key(), CHAT)) {
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                assertThat(++more).isLessThanOrEqualTo(60);
            }
            assertThat(ok + more).isEqualTo(60);
            assertThat(second.balance(u)).isZero();
            assertThat(second.held(u)).isZero();
            assertBooksBalance();
            assertThat(upstream.server().getAllServeEvents()).hasSize(60);
        } finally {
            second.close();
        }
    }

    /** Sends {@code n} calls at once, spread over {@code nodes}; each succeeds or is refused with 402. */
    private static int spendConcurrently(Gateway.User u, int n, Gateway... nodes) {
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Gateway node = nodes[i % nodes.length];
            calls.add(node.http.sendAsync(HttpRequest.newBuilder(node.uri("/v1/chat/completions"))
                    .timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + u.key())
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(CHAT)).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        int ok = 0;
        for (CompletableFuture<HttpResponse<String>> f : calls) {
            HttpResponse<String> r = f.join();
            if (r.statusCode() == 200) {
                ok++;
            } else {
                assertThat(r.statusCode()).as(r.body()).isEqualTo(402);
                assertThat(Gateway.json(r).at("/error/code").asText()).isEqualTo("insufficient_credits");
            }
        }
        return ok;
    }

    /** Σ balances = 0, each balance = its transfers, no hold left open, no wallet or hold account below zero. */
    private void assertBooksBalance() {
        assertThat(gateway.queryLong("SELECT COALESCE(SUM(balance), 0) FROM apimodels_ledger_account")).isZero();
        assertThat(gateway.queryLong("""
                SELECT COUNT(*) FROM apimodels_ledger_account la WHERE la.balance <>
                  COALESCE((SELECT SUM(amount) FROM apimodels_transfer t WHERE t.credit_id = la.id), 0)
                - COALESCE((SELECT SUM(amount) FROM apimodels_transfer t WHERE t.debit_id = la.id), 0)""")).isZero();
        assertThat(gateway.queryLong("SELECT COUNT(*) FROM apimodels_hold WHERE state = 'pending'")).isZero();
        assertThat(gateway.queryLong("SELECT COUNT(*) FROM apimodels_ledger_account WHERE balance < 0 AND kind IN ('wallet','hold')")).isZero();
    }
}
