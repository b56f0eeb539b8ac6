package app.apimodels.quickstart.e2e;

import app.apimodels.testkit.MockAnthropicUpstream;
import app.apimodels.testkit.MockGeminiUpstream;
import org.junit.jupiter.api.AfterEach;

/** End-to-end tests on {@link Catalogs#claudeAndGemini}: an Anthropic and a Gemini upstream beside the OpenAI one. */
abstract class ClaudeAndGeminiTest extends EndToEndTest {

    final MockAnthropicUpstream claude = new MockAnthropicUpstream();
    final MockGeminiUpstream gemini = new MockGeminiUpstream();

    @AfterEach
    void stopUpstreams() {
        claude.close();
        gemini.close();
    }
}
