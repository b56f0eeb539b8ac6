package com.example.ollama;

import app.apimodels.core.transport.JdkHttpTransport;
import app.apimodels.spi.http.HttpTransport;
import app.apimodels.spi.http.TransportOptions;
import app.apimodels.spi.provider.ProviderClient;
import app.apimodels.spi.provider.ProviderConfig;
import app.apimodels.testkit.ChatAndEmbeddingsProviderContract;
import org.junit.jupiter.api.AfterAll;

import java.net.URI;
import java.time.Duration;
import java.util.Map;

/**
 * The testkit's provider contract, passed by the Ollama provider against a fake Ollama server:
 * the same behaviour the engine relies on from its built-in providers.
 */
class OllamaContractTest extends ChatAndEmbeddingsProviderContract<MockOllamaUpstream> {

    private final HttpTransport transport = new JdkHttpTransport(TransportOptions.defaults());

    @Override
    protected MockOllamaUpstream startUpstream() {
        return new MockOllamaUpstream();
    }

    @Override
    protected ProviderClient createClient(URI baseUrl, String apiKey, Duration timeout) {
        return new OllamaProvider().create(new ProviderConfig("local-ollama", "ollama-native", baseUrl, apiKey, timeout, Map.of()),
                transport);
    }

    @AfterAll
    void closeTransport() {
        transport.close();
    }
}
