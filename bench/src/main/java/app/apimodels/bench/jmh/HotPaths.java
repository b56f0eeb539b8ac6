package app.apimodels.bench.jmh;

import app.apimodels.core.accounts.Accounts;
import app.apimodels.core.accounts.Role;
import app.apimodels.core.catalog.CatalogDocument;
import app.apimodels.core.catalog.Price;
import app.apimodels.core.config.ConfigSource;
import app.apimodels.core.config.Settings;
import app.apimodels.core.db.Database;
import app.apimodels.core.db.Sql;
import app.apimodels.core.keys.ApiKeys;
import app.apimodels.core.keys.KeyOptions;
import app.apimodels.core.relay.TokenCounter;
import app.apimodels.core.web.Json;
import app.apimodels.spi.provider.Usage;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The engine's per-call CPU work on the hot path, each on the real classes: key lookup (HMAC +
 * cache), request parsing with the hold's prompt bound, price computation, and the tokenizer used
 * when an upstream reports no usage. Run: {@code java -jar bench/target/apimodels-bench.jar jmh}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class HotPaths {

    private static final byte[] REQUEST = ("{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"system\",\"content\":"
            + "\"You are a helpful assistant.\"},{\"role\":\"user\",\"content\":\"Summarise the plot of Hamlet in three "
            + "sentences, please, and keep it short.\"}],\"max_tokens\":256,\"temperature\":0.2}").getBytes(StandardCharsets.UTF_8);
    private static final String COMPLETION = "Prince Hamlet seeks revenge on his uncle Claudius, who murdered Hamlet's "
            + "father to seize the throne and marry his mother. Feigning madness, Hamlet stages a play to expose the "
            + "crime. The tragedy ends with nearly every major character dead, Hamlet included.";

    private Database database;
    private ApiKeys keys;
    private String secret;
    private Price price;
    private final TokenCounter tokens = new TokenCounter();

    @Setup(Level.Trial)
    public void setUp() {
        database = Database.open(null, new Settings(ConfigSource.of(Map.of("apimodels.db.url",
                "jdbc:h2:mem:" + UUID.randomUUID() + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DB_CLOSE_DELAY=-1"))));
        Sql sql = new Sql(database);
        keys = new ApiKeys(sql, Clock.systemUTC(), new byte[32], Duration.ofMinutes(10));
        long account = new Accounts(sql, Clock.systemUTC()).create("bench@example.com", null, Role.USER).id();
        secret = keys.create(account, KeyOptions.named("bench")).secret();
        price = CatalogDocument.parseYaml("""
                providers: [{ id: p, type: openai, base-url: "http://localhost/v1" }]
                models:
                  - id: m
                    kind: chat
                    markup: 20
                    routes: [{ provider: p, upstream-model: m }]
                    price: { input-per-1m-tokens: 0.15, output-per-1m-tokens: 0.60, cached-input-per-1m-tokens: 0.075 }
                """, "bench").models().get(0).price();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        database.close();
    }

    @Benchmark
    public Object authenticateCachedKey() {
        return keys.authenticate(secret);
    }

    @Benchmark
    public long parseRequestAndBoundPrompt() {
        Map<String, Object> payload = Json.object(REQUEST);
        return TokenCounter.promptUpperBound(payload.get("messages"));
    }

    @Benchmark
    public long priceACall() {
        return price.cost(Usage.tokens(1_234, 200, 567), 2_000);
    }

    @Benchmark
    public long countCompletionTokens() {
        return tokens.count(COMPLETION);
    }
}
