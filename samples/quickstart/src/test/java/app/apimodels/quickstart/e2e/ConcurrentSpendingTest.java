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

/** 200 concurrent calls from one account whose balance covers 50, on PostgreSQL, through HTTP. */
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

        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            calls.add(gateway.http.sendAsync(HttpRequest.newBuilder(gateway.uri("/v1/chat/completions"))
                    .timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + u.key())
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(CHAT)).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        int ok = 0;
        int refused = 0;
        for (CompletableFuture<HttpResponse<String>> f : calls) {
            HttpResponse<String> r = f.join();
            if (r.statusCode() == 200) {
                ok++;
            } else {
                assertThat(r.statusCode()).as(r.body()).isEqualTo(402);
                assertThat(Gateway.json(r).at("/error/code").asText()).isEqualTo("insufficient_credits");
                refused++;
            }
        }
        assertThat(ok).isEqualTo(50);
        assertThat(refused).isEqualTo(150);

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
        // the books: Σ balances = 0, each balance = its transfers, no hold left open, no wallet below zero
        assertThat(gateway.queryLong("SELECT COALESCE(SUM(balance), 0) FROM ledger_account")).isZero();
        assertThat(gateway.queryLong("""
                SELECT COUNT(*) FROM ledger_account la WHERE la.balance <>
                  COALESCE((SELECT SUM(amount) FROM transfer t WHERE t.credit_id = la.id), 0)
                - COALESCE((SELECT SUM(amount) FROM transfer t WHERE t.debit_id = la.id), 0)""")).isZero();
        assertThat(gateway.queryLong("SELECT COUNT(*) FROM hold WHERE state = 'pending'")).isZero();
        assertThat(gateway.queryLong("SELECT COUNT(*) FROM ledger_account WHERE balance < 0 AND kind IN ('wallet','hold')")).isZero();
        assertThat(gateway.queryLong("SELECT COUNT(*) FROM call_log WHERE status = 200")).isEqualTo(50);
        assertThat(gateway.queryLong("SELECT COUNT(*) FROM call_log WHERE status = 402")).isEqualTo(150);
        assertThat(upstream.server().getAllServeEvents()).hasSize(50);
    }
}
