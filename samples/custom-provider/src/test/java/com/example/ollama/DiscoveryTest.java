package com.example.ollama;

import app.apimodels.spi.provider.ModelProvider;
import org.jboss.weld.environment.se.Weld;
import org.jboss.weld.environment.se.WeldContainer;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.ServiceLoader;

import static org.assertj.core.api.Assertions.assertThat;

/** The engine finds the provider by its type both ways it looks: ServiceLoader and CDI. */
class DiscoveryTest {

    @Test
    void serviceLoaderFindsTheProviderByItsType() {
        List<ModelProvider> providers = ServiceLoader.load(ModelProvider.class).stream().map(ServiceLoader.Provider::get)
                .filter(provider -> provider.type().equals("ollama-native")).toList();

        assertThat(providers).singleElement().isInstanceOf(OllamaProvider.class);
    }

    @Test
    void aCdiContainerFindsTheProviderAsABean() {
        // Full discovery: the container scans the class path and finds the jar's beans.xml itself.
        try (WeldContainer container = new Weld().initialize()) {
            List<ModelProvider> providers = container.select(ModelProvider.class).stream()
                    .filter(provider -> provider.type().equals("ollama-native")).toList();

            assertThat(providers).hasSize(1);
        }
    }
}
