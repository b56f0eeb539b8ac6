package app.apimodels.core.catalog;

import app.apimodels.core.accounts.Role;
import app.apimodels.core.failure.Failure;
import app.apimodels.core.keys.ApiKey;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The checks a relayed call and a task submission share, in the order a client meets them. */
class ModelAccessTest {

    private static final String CATALOG = """
            providers:
              - { id: up, type: openai, base-url: https://api.example/v1 }
            models:
              - id: chatty
                kind: chat
                routes: [ { provider: up, upstream-model: gpt } ]
                price: { input-per-1m-tokens: 1, output-per-1m-tokens: 2 }
              - id: painter
                kind: image
                routes: [ { provider: up, upstream-model: dall-e } ]
                price: { per-image: 0.04 }
            """;

    private final ModelAccess access = new ModelAccess(() -> {
        CatalogDocument doc = CatalogDocument.parseYaml(CATALOG, "test.yaml");
        Map<String, Catalog.Model> models = new LinkedHashMap<>();
        doc.models().forEach(m -> models.put(m.id(), new Catalog.Model(m, List.of())));
        Map<String, ProviderSpec> providers = new LinkedHashMap<>();
        doc.providers().forEach(p -> providers.put(p.id(), p));
        return new Catalog(models, providers);
    });

    private static ApiKey key(String... allowed) {
        return new ApiKey(1, 1, Role.USER, "k", "sk-am-x", "abcd", null, Set.of(allowed), null, 0, null, null, 0, 1, 2);
    }

    @Test
    void aModelOfTheRightKindThatTheKeyMayUse() {
        assertThat(access.resolve(key(), "chatty", Set.of(ModelKind.CHAT), "/v1/chat/completions").id()).isEqualTo("chatty");
        assertThat(access.resolve(key("painter"), "painter", Set.of(ModelKind.IMAGE), "images generations").id()).isEqualTo("painter");
    }

    @Test
    void eachRefusalSaysWhyAndNamesTheModelField() {
        assertThatThrownBy(() -> access.resolve(key(), "nope", Set.of(ModelKind.CHAT), "/v1/chat/completions"))
                .isInstanceOfSatisfying(Failure.class, f -> {
                    assertThat(f.reason()).isEqualTo(Failure.Reason.MODEL_NOT_FOUND);
                    assertThat(f.param()).isEqualTo("model");
                    assertThat(f.getMessage()).isEqualTo("The model 'nope' does not exist");
                });
        assertThatThrownBy(() -> access.resolve(key(), "painter", Set.of(ModelKind.CHAT), "/v1/chat/completions"))
                .isInstanceOfSatisfying(Failure.class, f -> {
                    assertThat(f.reason()).isEqualTo(Failure.Reason.INVALID);
                    assertThat(f.param()).isEqualTo("model");
                    assertThat(f.getMessage()).isEqualTo("'painter' is a image model and cannot be used with /v1/chat/completions");
                });
        // The kind is checked before the allow-list: a wrong endpoint is the client's mistake whatever the key.
        assertThatThrownBy(() -> access.resolve(key("painter"), "chatty", Set.of(ModelKind.IMAGE), "images generations"))
                .isInstanceOfSatisfying(Failure.class, f -> assertThat(f.reason()).isEqualTo(Failure.Reason.INVALID));
        assertThatThrownBy(() -> access.resolve(key("painter"), "chatty", Set.of(ModelKind.CHAT), "/v1/chat/completions"))
                .isInstanceOfSatisfying(Failure.class, f -> {
                    assertThat(f.reason()).isEqualTo(Failure.Reason.MODEL_NOT_ALLOWED);
                    assertThat(f.param()).isEqualTo("model");
                    assertThat(f.getMessage()).isEqualTo("this API key may not use the model 'chatty'");
                });
    }
}
