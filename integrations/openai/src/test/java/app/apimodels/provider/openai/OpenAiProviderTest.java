package app.apimodels.provider.openai;

import app.apimodels.spi.provider.ModelProvider;
import org.junit.jupiter.api.Test;

import java.util.ServiceLoader;

import static org.assertj.core.api.Assertions.assertThat;

class OpenAiProviderTest {

    @Test
    void isFoundByItsType() {
        assertThat(ServiceLoader.load(ModelProvider.class).stream().map(ServiceLoader.Provider::get))
                .anySatisfy(provider -> {
                    assertThat(provider).isInstanceOf(OpenAiProvider.class);
                    assertThat(provider.type()).isEqualTo("openai");
                });
    }
}
