package app.apimodels.quickstart.e2e;

import app.apimodels.core.testing.TestDatabases;
import app.apimodels.spi.provider.Usage;
import app.apimodels.testkit.MockAnthropicUpstream;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Exact charges over real HTTP for what only some providers report: Anthropic's prompt-cache
 * reads and writes (each at its own price) and Gemini's cached and thinking tokens, streamed and
 * not, on both databases; the call log shows each part.
 */
class ProviderChargesTest extends ClaudeAndGeminiTest {

    /**
     * At {@link Catalogs#claudeAndGemini}'s prices, Anthropic reporting a 1,000-token prompt as 500
     * plain + 300 read + 200 written, and 50 output tokens.
     */
    static final long ANTHROPIC_COST = 500 * 10 + 300 + 200 * 13 + 50 * 30;
    /** Gemini: 1,000 prompt tokens of which 400 cached, 30 candidate + 20 thinking tokens (output). */
    static final long GEMINI_COST = 600 * 10 + 400 + 50 * 30;
    /** A prompt whose size bounds more than the 1,000 tokens reported, so the hold covers the charge. */
    static final String PROMPT = "cache me ".repeat(150);


    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void cacheReadsWritesAndThinkingAreChargedAtTheirPrices(TestDatabases db) throws Exception {
        claude.usage(Usage.tokens(1_000, 300, 50)).cacheWrites(200);
        gemini.usage(Usage.tokens(1_000, 400, 50)).thoughtsTokens(20);
        gateway = Gateway.start(db, Catalogs.claudeAndGemini(claude.baseUrl(), gemini.baseUrl()), dir, Map.of());
        Gateway.User user = gateway.user(1_000_000);

        for (boolean stream : new boolean[] {false, true}) {
            Gateway.expect(gateway.send("POST", "/v1/chat/completions", user.key(), chat("claude-test", stream)), 200);
            Gateway.expect(gateway.send("POST", "/v1/chat/completions", user.key(), chat("gemini-test", stream)), 200);
        }
        assertThat(gateway.balance(user)).isEqualTo(1_000_000 - 2 * ANTHROPIC_COST - 2 * GEMINI_COST);
        assertThat(gateway.held(user)).isZero();

        JsonNode calls = gateway.usage(user);
        assertThat(calls).hasSize(4);
        for (JsonNode call : calls) {
            boolean anthropic = call.get("model").asText().equals("claude-test");
            assertThat(call.get("usage_estimated").asBoolean()).isFalse();
            assertThat(call.get("input_tokens").asLong()).isEqualTo(1_000);
            assertThat(call.get("cached_input_tokens").asLong()).isEqualTo(anthropic ? 300 : 400);
            assertThat(call.get("cache_write_tokens").asLong()).isEqualTo(anthropic ? 200 : 0);
            assertThat(call.get("output_tokens").asLong()).isEqualTo(50);
            assertThat(call.get("cost_micros").asLong()).isEqualTo(anthropic ? ANTHROPIC_COST : GEMINI_COST);
            assertThat(call.get("uncollected_micros").asLong()).isZero();
        }
    }

    private static String chat(String model, boolean stream) {
        return "{\"model\":\"" + model + "\",\"max_tokens\":100,\"stream\":" + stream
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"" + PROMPT + "\"}]}";
    }
}
