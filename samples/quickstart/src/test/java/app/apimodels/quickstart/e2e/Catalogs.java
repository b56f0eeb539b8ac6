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

    private static String provider(String id, String baseUrl, String transport, int timeoutSeconds) {
        return "  - id: " + id + "\n    type: openai\n    base-url: " + baseUrl + "\n    api-key: ${TEST_UPSTREAM_KEY:sk-upstream-secret-123}\n"
                + "    transport: " + transport + "\n    timeout-seconds: " + timeoutSeconds + "\n";
    }
}
