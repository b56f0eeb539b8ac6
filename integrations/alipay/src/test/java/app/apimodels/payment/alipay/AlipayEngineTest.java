package app.apimodels.payment.alipay;

import app.apimodels.core.ApiModels;
import app.apimodels.core.config.ConfigSource;
import app.apimodels.core.testing.TestDatabases;
import app.apimodels.json.JsonMappers;
import app.apimodels.spi.payment.Checkout;
import app.apimodels.testkit.MockAlipay;
import app.apimodels.testkit.web.MockExchange;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Alipay gateway inside the engine, found by ServiceLoader from its {@code apimodels.alipay.*}
 * settings and talking to {@link MockAlipay}: a user's checkout is paid at the mock, Alipay's notify
 * arrives at {@code POST /webhooks/alipay} eight times, four of them at once, and the order is
 * credited once, each delivery answered with the plain text {@code success}; forged and altered
 * notifies are refused and credit nothing. On H2 and PostgreSQL.
 */
class AlipayEngineTest {

    private static final String ADMIN_KEY = "alipay-test-admin-" + UUID.randomUUID();
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final ObjectMapper JSON = JsonMappers.create();
    /** 20 credits at 7.1 yuan each: CNY 142.00. */
    private static final long TWENTY = 20_000_000;

    @TempDir
    Path dir;
    private final MockAlipay alipay = new MockAlipay();
    private ApiModels engine;

    static Stream<TestDatabases> databases() {
        return TestDatabases.all();
    }

    @AfterEach
    void stop() {
        if (engine != null) {
            engine.close();
        }
        alipay.close();
    }

    @ParameterizedTest
    @MethodSource("databases")
    void theSameNotifyEightTimesCreditsOnceAndIsAnsweredSuccessEachTime(TestDatabases database) throws Exception {
        start(database);
        String key = user();

        JsonNode started = json(post("/api/v1/billing/checkout", key,
                "{\"amount_micros\":" + TWENTY + ",\"method\":\"alipay\",\"presentation\":\"qr_code\"}"), 201);
        String orderId = started.get("order_id").asText();
        alipay.payCheckout(Checkout.qrCode(orderId, started.get("qr_code").asText(), null));
        MockAlipay.Call precreate = alipay.calls().get(0);
        assertThat(precreate.params()).containsEntry("notify_url", "https://reseller.example/apimodels/webhooks/alipay");
        assertThat(precreate.bizContent()).containsEntry("out_trade_no", orderId).containsEntry("total_amount", "142.00");
        byte[] notify = alipay.signed(alipay.paymentNotify(orderId));

        List<MockExchange.Answer> answers = Stream.concat(
                IntStream.range(0, 4).mapToObj(i -> deliver(notify)),
                IntStream.range(0, 4).mapToObj(i -> CompletableFuture.supplyAsync(() -> deliver(notify))).toList().stream()
                        .map(CompletableFuture::join)).toList();

        assertThat(answers).hasSize(8).allSatisfy(answer -> {
            assertThat(answer.status()).isEqualTo(200);
            assertThat(answer.body()).isEqualTo("success".getBytes(StandardCharsets.UTF_8));
        });
        assertThat(balance(key)).isEqualTo(TWENTY);
        JsonNode order = json(get("/api/v1/billing/orders/" + orderId, key), 200);
        assertThat(order.get("state").asText()).isEqualTo("paid");
    }

    @ParameterizedTest
    @MethodSource("databases")
    void aForgedOrAlteredNotifyIsRefusedAndCreditsNothing(TestDatabases database) throws Exception {
        start(database);
        String key = user();
        JsonNode started = json(post("/api/v1/billing/checkout", key,
                "{\"amount_micros\":" + TWENTY + ",\"method\":\"alipay\",\"presentation\":\"qr_code\"}"), 201);
        String orderId = started.get("order_id").asText();
        alipay.payCheckout(Checkout.qrCode(orderId, started.get("qr_code").asText(), null));
        Map<String, String> notify = alipay.paymentNotify(orderId);
        String genuine = new String(alipay.signed(notify), StandardCharsets.UTF_8);

        MockExchange.Answer forged = deliver(alipay.forged(notify));
        MockExchange.Answer altered = deliver(genuine.replace("out_trade_no=" + orderId, "out_trade_no=" + orderId + "0")
                .getBytes(StandardCharsets.UTF_8));

        assertThat(forged.status()).isEqualTo(400);
        assertThat(altered.status()).isEqualTo(400);
        assertThat(new String(forged.body(), StandardCharsets.UTF_8)).doesNotContain("success");
        assertThat(balance(key)).isZero();
        assertThat(json(get("/api/v1/billing/orders/" + orderId, key), 200).get("state").asText()).isEqualTo("pending");
    }

    // ---- the engine --------------------------------------------------------------------------------

    private void start(TestDatabases database) throws IOException {
        Map<String, String> settings = new HashMap<>(database.settings());
        settings.put("apimodels.data-dir", dir.resolve("data").toString());
        settings.put("apimodels.bootstrap.admin-key", ADMIN_KEY);
        settings.put("apimodels.keys.pepper", "test-pepper-of-at-least-thirty-two-characters");
        settings.put("apimodels.public-url", "https://reseller.example/apimodels");
        settings.put("apimodels.billing.cny-per-usd", "7.1");
        alipay.gatewayOptions().forEach((option, value) -> settings.put("apimodels.alipay." + option, value));
        engine = ApiModels.builder().config(ConfigSource.of(settings)).build();
    }

    private MockExchange.Answer deliver(byte[] notify) {
        return call(MockExchange.post("/webhooks/alipay").body("application/x-www-form-urlencoded; charset=utf-8", notify).build());
    }

    /** A new user's API key. */
    private String user() {
        JsonNode created = json(post("/admin/users", ADMIN_KEY, "{\"email\":\"payer-" + UUID.randomUUID() + "@example.com\"}"), 201);
        return json(post("/admin/users/" + created.get("id").asLong() + "/keys", ADMIN_KEY, "{\"name\":\"test\"}"), 201)
                .get("key").asText();
    }

    private long balance(String key) {
        return json(get("/api/v1/account", key), 200).get("balance_micros").asLong();
    }

    private MockExchange.Answer post(String path, String key, String body) {
        return call(MockExchange.post(path).bearer(key).json(body).build());
    }

    private MockExchange.Answer get(String path, String key) {
        return call(MockExchange.get(path).bearer(key).build());
    }

    private MockExchange.Answer call(MockExchange exchange) {
        engine.handle(exchange);
        return exchange.awaitAnswer(WAIT);
    }

    private static JsonNode json(MockExchange.Answer answer, int status) {
        assertThat(answer.status()).as("%s", answer).isEqualTo(status);
        try {
            return JSON.readTree(answer.body());
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + answer, e);
        }
    }
}
