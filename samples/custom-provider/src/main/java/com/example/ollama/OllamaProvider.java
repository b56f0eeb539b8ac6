package com.example.ollama;

import app.apimodels.spi.http.HttpTransport;
import app.apimodels.json.JsonMappers;
import app.apimodels.spi.provider.ModelProvider;
import app.apimodels.spi.provider.ProviderClient;
import app.apimodels.spi.provider.ProviderConfig;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * The {@code ollama-native} provider type: chat and embeddings through an Ollama server's own API
 * ({@code /api/chat}, {@code /api/embed}) rather than its OpenAI-compatible one, so that Ollama's
 * own options and counts are used. In the catalog:
 *
 * <pre>
 * providers:
 *   - id: local-ollama
 *     type: ollama-native
 *     base-url: http://localhost:11434
 * </pre>
 *
 * <p>Registered for {@link java.util.ServiceLoader} in
 * {@code META-INF/services/app.apimodels.spi.provider.ModelProvider}, and a CDI bean (the jar has
 * a {@code beans.xml}), so the engine finds it both ways.
 */
@ApplicationScoped
public class OllamaProvider implements ModelProvider {

    /**
     * Shared by every client (an ObjectMapper is thread-safe once configured), with apimodels' JSON
     * configuration: buffers not kept in the server's threads, which would pin the application.
     */
    private final ObjectMapper mapper = JsonMappers.create();

    @Override
    public String type() {
        return "ollama-native";
    }

    @Override
    public ProviderClient create(ProviderConfig config, HttpTransport transport) {
        return new OllamaClient(config, transport, mapper);
    }
}
