package app.apimodels.testkit;

import app.apimodels.spi.provider.ProviderClient;
import app.apimodels.spi.provider.ProviderException;
import app.apimodels.spi.provider.Usage;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@link ChatProviderContract} for a {@link ProviderClient} whose upstream speaks OpenAI's
 * wire format, checked against {@link MockOpenAiUpstream}, plus what that format carries beyond
 * the general contract: cached input tokens and the field an invalid request names. Extend it and
 * create the client under test in {@link #createClient}.
 */
public abstract class ModelProviderContract extends ChatAndEmbeddingsProviderContract<MockOpenAiUpstream> {

    @Override
    protected MockOpenAiUpstream startUpstream() {
        return new MockOpenAiUpstream();
    }

    @Test
    void cachedInputTokensAreReported() throws Exception {
        upstream().usage(Usage.tokens(1_200, 1_024, 30));

        assertThat(await(client().call(chat(false))).usage()).isEqualTo(Usage.tokens(1_200, 1_024, 30));
    }

    @Test
    void theFieldAnInvalidRequestNamesIsPassedOn() {
        upstream().respondWithError(400, "Invalid type for 'messages[0].content'.", "messages");

        ProviderException failure = failureOf(client().call(chat(false)));

        assertThat(failure.kind()).isEqualTo(ProviderException.Kind.INVALID_REQUEST);
        assertThat(failure.param()).isEqualTo("messages");
    }
}
