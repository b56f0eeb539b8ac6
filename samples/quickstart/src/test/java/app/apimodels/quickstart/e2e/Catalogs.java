package app.apimodels.quickstart.e2e;

/** Catalogs for the end-to-end tests. Prices are chosen so every charge is a whole, distinct number. */
final class Catalogs {

    /** Input 10 credits and output 30 credits per million tokens: 11 in + 5 out = 260 micros. */
    static final long MOCK_CALL_COST = 260;
    /** Embeddings at 1 credit per million tokens: 11 in = 11 micros. */
    static final long MOCK_EMBEDDING_COST = 11;

    private Catalogs() {
    }

    /** One chat and one embedding model on {@code primary}; {@code fallback}, if given, is the second route. */
    static String openAi(String primaryBaseUrl, String fallbackBaseUrl, String transport, int timeoutSeconds) {
        StringBuilder y = new StringBuilder("providers:\n");
        y.append(provider("primary", primaryBaseUrl, transport, timeoutSeconds));
        if (fallbackBaseUrl != null) {
            y.append(provider("fallback", fallbackBaseUrl, transport, timeoutSeconds));
        }
        y.append("models:\n");
        y.append("  - id: test-chat\n    kind: chat\n    routes:\n");
        y.append("      - { provider: primary, upstream-model: mock-model, priority: 1, weight: 1 }\n");
        if (fallbackBaseUrl != null) {
            y.append("      - { provider: fallback, upstream-model: mock-model, priority: 2, weight: 1 }\n");
        }
        y.append("    price: { input-per-1m-tokens: 10, output-per-1m-tokens: 30 }\n");
        y.append("  - id: test-embedding\n    kind: embedding\n    routes:\n");
        y.append("      - { provider: primary, upstream-model: mock-embed, priority: 1, weight: 1 }\n");
        y.append("    price: { input-per-1m-tokens: 1 }\n");
        return y.toString();
    }

    /**
     * {@code claude-test} on an Anthropic upstream and {@code gemini-test} on a Gemini one, per
     * token: input 10 µ, cache read 1 µ, cache write 13 µ (Claude), output 30 µ.
     */
    static String claudeAndGemini(String claudeUrl, String geminiUrl) {
        return """
                providers:
                  - { id: claude, type: anthropic, base-url: %s, api-key: sk-ant-upstream, timeout-seconds: 30 }
                  - { id: google, type: gemini, base-url: %s, api-key: goog-upstream, timeout-seconds: 30 }
                models:
                  - id: claude-test
                    kind: chat
                    routes: [ { provider: claude, upstream-model: claude-mock-1 } ]
                    price: { input-per-1m-tokens: 10, output-per-1m-tokens: 30, cached-input-per-1m-tokens: 1, cache-write-per-1m-tokens: 13 }
                  - id: gemini-test
                    kind: chat
                    routes: [ { provider: google, upstream-model: gemini-mock } ]
                    price: { input-per-1m-tokens: 10, output-per-1m-tokens: 30, cached-input-per-1m-tokens: 1 }
                """.formatted(claudeUrl, geminiUrl);
    }

    private static String provider(String id, String baseUrl, String transport, int timeoutSeconds) {
        return "  - id: " + id + "\n    type: openai\n    base-url: " + baseUrl + "\n    api-key: ${TEST_UPSTREAM_KEY:sk-upstream-secret-123}\n"
                + "    transport: " + transport + "\n    timeout-seconds: " + timeoutSeconds + "\n";
    }
}
