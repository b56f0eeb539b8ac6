package app.apimodels.core.catalog;

import app.apimodels.spi.provider.Usage;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CatalogDocumentTest {

    private static final String GOOD = """
            providers:
              - id: main-openai
                type: openai
                base-url: https://api.openai.com/v1
                api-key: ${OPENAI_API_KEY}
                transport: jetty
                timeout-seconds: 120
            models:
              - id: gpt-4o-mini
                kind: chat
                markup: 20
                routes:
                  - { provider: main-openai, upstream-model: gpt-4o-mini, priority: 1, weight: 3 }
                price: { input-per-1m-tokens: 0.15, output-per-1m-tokens: 0.60, cached-input-per-1m-tokens: 0.075 }
            """;

    @Test
    void parsesEveryField() {
        CatalogDocument doc = CatalogDocument.parseYaml(GOOD, "catalog.yaml");
        ProviderSpec p = doc.providers().get(0);
        assertThat(p.transport()).isEqualTo("jetty");
        assertThat(p.timeoutSeconds()).isEqualTo(120);
        assertThat(p.apiKey()).isEqualTo("${OPENAI_API_KEY}"); // kept as a reference, resolved only when used
        ModelSpec m = doc.models().get(0);
        assertThat(m.kind()).isEqualTo(ModelKind.CHAT);
        assertThat(m.markupBasisPoints()).isEqualTo(2000);
        assertThat(m.routes().get(0).weight()).isEqualTo(3);
        assertThat(m.price().inputPer1M()).isEqualTo(150_000);
        assertThat(m.price().cachedInputPer1M()).isEqualTo(75_000);
    }

    @Test
    void errorsNameFileLineAndField() {
        String bad = GOOD.replace("output-per-1m-tokens: 0.60", "output-per-1m-tokens: lots");
        assertThatThrownBy(() -> CatalogDocument.parseYaml(bad, "catalog.yaml"))
                .hasMessage("catalog.yaml:14: models[0].price.output-per-1m-tokens: must be a number");
        assertThatThrownBy(() -> CatalogDocument.parseYaml(GOOD.replace("upstream-model: gpt", "upstream-modle: gpt"), "c.yaml"))
                .hasMessageStartingWith("c.yaml:13: models[0].routes[0].upstream-modle: unknown field");
        assertThatThrownBy(() -> CatalogDocument.parseYaml(GOOD.replace("provider: main-openai", "provider: nope"), "c.yaml"))
                .hasMessage("c.yaml:13: models[0].routes[0].provider: no provider with id 'nope' in this file");
        assertThatThrownBy(() -> CatalogDocument.parseYaml(GOOD.replace("kind: chat", "kind: poetry"), "c.yaml"))
                .hasMessageStartingWith("c.yaml:10: models[0].kind: must be one of");
        assertThatThrownBy(() -> CatalogDocument.parseYaml(GOOD.replace("https://api.openai.com/v1", "ftp://x"), "c.yaml"))
                .hasMessage("c.yaml:4: providers[0].base-url: must be an http or https URL");
        assertThatThrownBy(() -> CatalogDocument.parseYaml(GOOD.replace("0.075", "0.0000001"), "c.yaml"))
                .hasMessageContaining("cached-input-per-1m-tokens: must be a multiple of 0.000001");
        assertThatThrownBy(() -> CatalogDocument.parseYaml("providers: [\n  {id: a", "c.yaml"))
                .hasMessageStartingWith("c.yaml: not valid YAML");
    }

    @Test
    void pricesAreExactIntegersRoundedUpOncePerCall() {
        Price price = CatalogDocument.parseYaml(GOOD, "c").models().get(0).price();
        // 1000 input (200 cached) and 500 output tokens: (800*0.15 + 200*0.075 + 500*0.60) / 1M credits = 435 micros
        assertThat(price.cost(Usage.tokens(1000, 200, 500), 0)).isEqualTo(435);
        // one token at 0.15/1M is 0.15 micros: rounded up to 1, never free
        assertThat(price.cost(Usage.tokens(1, 0, 0), 0)).isEqualTo(1);
        assertThat(price.cost(Usage.tokens(1_000_000, 0, 1_000_000), 0)).isEqualTo(750_000);
        assertThat(price.cost(Usage.tokens(1_000_000, 0, 1_000_000), 2000)).isEqualTo(900_000);
        assertThat(price.cost(Usage.NONE, 0)).isZero();
        Price perUnit = new Price(0, 0, null, null, 10_000, 40_000, 1_500, 15_000);
        // 1 request + 2 images + 3.5 s + 1,200 characters
        assertThat(perUnit.cost(new Usage(0, 0, 0, 2, 3.5, 1_200), 0)).isEqualTo(10_000 + 80_000 + 5_250 + 18_000);
    }

    @Test
    void cacheWritesHaveTheirOwnPriceAndTheWorstCaseCoversThem() {
        Price price = CatalogDocument.parseYaml(GOOD.replace("cached-input-per-1m-tokens: 0.075",
                "cached-input-per-1m-tokens: 0.075, cache-write-per-1m-tokens: 0.1875"), "c").models().get(0).price();
        assertThat(price.cacheWritePer1M()).isEqualTo(187_500);
        // 1000 input: 600 plain, 200 read, 200 written; 500 output: (600*0.15 + 200*0.075 + 200*0.1875 + 500*0.60) / 1M
        assertThat(price.cost(Usage.tokens(1000, 200, 500).withCacheWriteTokens(200), 0)).isEqualTo(443);
        // Reads and writes beyond the input are held to it: never a negative plain part.
        assertThat(price.cost(Usage.tokens(100, 80, 0).withCacheWriteTokens(80), 0)).isEqualTo(price.cost(Usage.tokens(100, 80, 0).withCacheWriteTokens(20), 0));
        // The hold prices the whole prompt as cache writes, the dearest way to bill it.
        assertThat(price.worstCase(1000, 500)).isEqualTo(Usage.tokens(1000, 0, 500).withCacheWriteTokens(1000));
        assertThat(price.cost(price.worstCase(1000, 500), 0)).isEqualTo(488);
        // Without a cache-write price writes cost as input, and the worst case is plain input.
        Price plain = CatalogDocument.parseYaml(GOOD, "c").models().get(0).price();
        assertThat(plain.cost(Usage.tokens(1000, 200, 500).withCacheWriteTokens(200), 0)).isEqualTo(435);
        assertThat(plain.worstCase(1000, 500)).isEqualTo(Usage.tokens(1000, 0, 500));
        assertThat(CatalogDocument.parseYaml(GOOD.replace("cached-input-per-1m-tokens: 0.075",
                "cache-write-per-1m-tokens: 0.1875"), "c").models().get(0).price().toDoc())
                .containsEntry("cache-write-per-1m-tokens", new java.math.BigDecimal("0.1875"));
        assertThatThrownBy(() -> CatalogDocument.parseYaml(GOOD.replace("cached-input-per-1m-tokens: 0.075",
                "cache-write-per-1m-tokens: -1"), "c")).hasMessageContaining("cache-write-per-1m-tokens: must not be negative");
    }

    @Test
    void aProviderWithoutAnApiKeyReadsBackAsStored() {
        ProviderSpec p = ProviderSpec.parse(Tree.of(java.util.Map.of("id", "local", "type", "openai", "base-url", "http://localhost:11434/v1"),
                "admin API", ""));
        ProviderSpec again = ProviderSpec.parse(Tree.of(p.toDoc(), "stored provider", ""));
        assertThat(again.apiKey()).isEmpty();
        assertThat(again.toDoc()).isEqualTo(p.toDoc()).doesNotContainKey("api-key");
    }
}
