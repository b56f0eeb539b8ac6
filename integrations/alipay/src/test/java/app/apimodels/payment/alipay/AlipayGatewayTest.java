package app.apimodels.payment.alipay;

import app.apimodels.spi.payment.Checkout;
import app.apimodels.spi.payment.CheckoutRequest;
import app.apimodels.spi.payment.Money;
import app.apimodels.spi.payment.PaymentEvent;
import app.apimodels.spi.payment.PaymentException;
import app.apimodels.spi.payment.PaymentGateway;
import app.apimodels.spi.payment.PaymentGatewayConfig;
import app.apimodels.spi.payment.PaymentGatewayFactory;
import app.apimodels.spi.payment.PaymentStatus;
import app.apimodels.spi.payment.RefundRequest;
import app.apimodels.spi.payment.RefundResult;
import app.apimodels.spi.webhook.WebhookVerificationException;
import app.apimodels.testkit.MockAlipay;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.UUID;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The Alipay gateway's own rules, beyond the payment contract, against {@link MockAlipay}. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AlipayGatewayTest {

    private static final URI NOTIFY_URL = URI.create("https://reseller.example/webhooks/alipay");

    private final MockAlipay alipay = new MockAlipay();
    private final PaymentGateway gateway = gateway(Map.of());

    @BeforeEach
    void genuineAnswers() {
        alipay.genuineAnswers();
    }

    @AfterAll
    void stop() {
        gateway.close();
        alipay.close();
    }

    // ---- checkouts ------------------------------------------------------------------------------

    @Test
    void aQrCodeCheckoutIsPrecreatedWithTheOrdersAmountNotifyUrlAndExpiryAndPendingUntilScanned() {
        String orderId = orderId();
        Instant expiresAt = Instant.now().plus(2, ChronoUnit.HOURS).truncatedTo(ChronoUnit.SECONDS);

        Checkout checkout = gateway.createCheckout(request(orderId, 1234, CheckoutRequest.Presentation.QR_CODE, expiresAt));

        assertThat(checkout.qrCode()).isNotBlank();
        assertThat(checkout.expiresAt()).isEqualTo(expiresAt);
        MockAlipay.Call call = lastCall("alipay.trade.precreate");
        assertThat(call.params()).containsEntry("notify_url", NOTIFY_URL.toString()).containsEntry("sign_type", "RSA2")
                .containsEntry("charset", "utf-8").containsEntry("version", "1.0").containsEntry("app_id", alipay.appId());
        assertThat(call.bizContent()).containsEntry("out_trade_no", orderId).containsEntry("total_amount", "12.34")
                .containsEntry("time_expire", MockAlipay.time(expiresAt)).containsEntry("subject", "20 credits");
        // Alipay creates the trade when the payer scans the code; until then it is ours and pending.
        assertThat(gateway.queryOrder(checkout.gatewayOrderId()).state()).isEqualTo(PaymentStatus.State.PENDING);

        alipay.payCheckout(checkout);

        assertThat(gateway.queryOrder(checkout.gatewayOrderId()))
                .isEqualTo(new PaymentStatus(checkout.gatewayOrderId(), PaymentStatus.State.PAID, cny(1234), cny(0)));
    }

    @Test
    void aRedirectCheckoutIsASignedPagePayLinkThatAlipayRefusesOnceAltered() throws Exception {
        String orderId = orderId();

        Checkout checkout = gateway.createCheckout(request(orderId, 500, CheckoutRequest.Presentation.REDIRECT, null));

        Map<String, String> link = query(checkout.redirectUrl());
        assertThat(link).containsEntry("method", "alipay.trade.page.pay")
                .containsEntry("return_url", "https://reseller.example/console/billing?order=" + orderId)
                .containsEntry("notify_url", NOTIFY_URL.toString());
        assertThat(link.get("biz_content")).contains("\"product_code\":\"FAST_INSTANT_TRADE_PAY\"", "\"total_amount\":\"5.00\"");
        String cheaper = checkout.redirectUrl().toString().replace("%225.00%22", "%220.01%22");
        assertThat(cheaper).isNotEqualTo(checkout.redirectUrl().toString());
        assertThat(open(URI.create(cheaper)).statusCode()).as("the cashier, shown an altered link").isEqualTo(400);

        alipay.payCheckout(checkout);

        assertThat(alipay.status(orderId)).contains("TRADE_SUCCESS");
    }

    @Test
    void withRedirectProductWapTheLinkIsWapPayWithTheCancelUrlAsQuitUrl() {
        try (PaymentGateway wap = gateway(Map.of("redirect-product", "wap"))) {
            String orderId = orderId();

            Checkout checkout = wap.createCheckout(request(orderId, 800, CheckoutRequest.Presentation.REDIRECT, null));

            Map<String, String> link = query(checkout.redirectUrl());
            assertThat(link).containsEntry("method", "alipay.trade.wap.pay");
            assertThat(link.get("biz_content")).contains("\"product_code\":\"QUICK_WAP_WAY\"",
                    "\"quit_url\":\"https://reseller.example/console/billing?cancelled=" + orderId + "\"");
            alipay.payCheckout(checkout);
            assertThat(wap.queryOrder(checkout.gatewayOrderId()).paid()).isEqualTo(cny(800));
        }
    }

    @Test
    void aCheckoutNobodyOpenedIsExpiredAfterItsExpiryAndClosingItIsNoError() {
        Checkout checkout = gateway.createCheckout(request(orderId(), 500, CheckoutRequest.Presentation.REDIRECT,
                Instant.now().minusSeconds(60)));

        assertThat(gateway.queryOrder(checkout.gatewayOrderId()).state()).isEqualTo(PaymentStatus.State.EXPIRED);
        gateway.close(checkout.gatewayOrderId());
        assertThat(lastCall("alipay.trade.close").bizContent()).containsKey("out_trade_no");
    }

    @Test
    void closingAnOpenedCheckoutClosesTheTradeAndClosingAPaidOneIsRefused() {
        Checkout open = gateway.createCheckout(request(orderId(), 500, CheckoutRequest.Presentation.QR_CODE, null));
        String openTrade = (String) lastCall("alipay.trade.precreate").bizContent().get("out_trade_no");
        alipay.createTrade(openTrade, 500);
        Checkout paid = gateway.createCheckout(request(orderId(), 700, CheckoutRequest.Presentation.QR_CODE, null));
        alipay.payCheckout(paid);

        gateway.close(open.gatewayOrderId());
        PaymentException refused = catchThrowableOfType(PaymentException.class, () -> gateway.close(paid.gatewayOrderId()));

        assertThat(alipay.status(openTrade)).contains("TRADE_CLOSED");
        assertThat(gateway.queryOrder(open.gatewayOrderId()).state()).isEqualTo(PaymentStatus.State.EXPIRED);
        assertThat(refused).as("closing a paid checkout").isNotNull();
        assertThat(refused.retryable()).isFalse();
    }

    @Test
    void onlyCnyWholeOrderIdsAreCheckedOut() {
        assertThatThrownBy(() -> gateway.createCheckout(new CheckoutRequest(orderId(), new Money(500, "USD"), "x", null,
                CheckoutRequest.Presentation.QR_CODE, null, null, NOTIFY_URL, null, "k")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("CNY");
        assertThatThrownBy(() -> gateway.createCheckout(request("ord-with-dash", 500, CheckoutRequest.Presentation.QR_CODE, null)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("out_trade_no");
    }

    // ---- answers ---------------------------------------------------------------------------------

    @Test
    void anAlteredAnswerIsRefusedAndNotWorthRetrying() {
        Checkout checkout = gateway.createCheckout(request(orderId(), 990, CheckoutRequest.Presentation.QR_CODE, null));
        alipay.payCheckout(checkout);
        alipay.tamperAnswers();

        PaymentException query = catchThrowableOfType(PaymentException.class, () -> gateway.queryOrder(checkout.gatewayOrderId()));
        PaymentException precreate = catchThrowableOfType(PaymentException.class,
                () -> gateway.createCheckout(request(orderId(), 990, CheckoutRequest.Presentation.QR_CODE, null)));

        assertThat(query).as("a query answered with another total_amount").isNotNull();
        assertThat(query.retryable()).isFalse();
        assertThat(query.getMessage()).contains("signature").doesNotContain(alipay.appPrivateKey());
        assertThat(precreate).as("a precreate answered with another qr_code").isNotNull();
        assertThat(precreate.retryable()).isFalse();
    }

    @Test
    void anUnsignedAnswerIsRefused() {
        Checkout checkout = gateway.createCheckout(request(orderId(), 990, CheckoutRequest.Presentation.QR_CODE, null));
        alipay.payCheckout(checkout);
        alipay.unsignedAnswers();

        PaymentException failure = catchThrowableOfType(PaymentException.class, () -> gateway.queryOrder(checkout.gatewayOrderId()));

        assertThat(failure).isNotNull();
        assertThat(failure.retryable()).isFalse();
        assertThat(failure.getMessage()).contains("not signed");
    }

    @Test
    void aGatewayWithAnotherApplicationsKeyIsRefusedByAlipayWithoutRetrying() {
        try (MockAlipay other = new MockAlipay(); PaymentGateway stranger = gateway(Map.of("private-key", other.appPrivateKey()))) {
            PaymentException failure = catchThrowableOfType(PaymentException.class,
                    () -> stranger.createCheckout(request(orderId(), 100, CheckoutRequest.Presentation.QR_CODE, null)));

            assertThat(failure).isNotNull();
            assertThat(failure.retryable()).isFalse();
            assertThat(failure.getMessage()).contains("isv.invalid-signature");
        }
    }

    @Test
    void anUnreachableGatewayIsWorthRetrying() {
        try (PaymentGateway down = gateway(Map.of("gateway-url", "http://127.0.0.1:1/gateway.do"))) {
            PaymentException failure = catchThrowableOfType(PaymentException.class, () -> down.queryOrder("ord_x"));

            assertThat(failure).isNotNull();
            assertThat(failure.retryable()).isTrue();
        }
    }

    // ---- refunds ---------------------------------------------------------------------------------

    @Test
    void refundsAreConfirmedByNotifiesWhoseAmountIsTheRunningTotal() {
        String orderId = orderId();
        Checkout checkout = gateway.createCheckout(request(orderId, 1000, CheckoutRequest.Presentation.QR_CODE, null));
        alipay.payCheckout(checkout);

        RefundResult first = gateway.refund(new RefundRequest(orderId, checkout.gatewayOrderId(), cny(300), "asked", "rf_a_" + orderId));
        RefundResult second = gateway.refund(new RefundRequest(orderId, checkout.gatewayOrderId(), cny(700), null, "rf_b_" + orderId));
        PaymentEvent partly = parse(alipay.signed(alipay.refundNotify(orderId, "rf_a_" + orderId)));
        PaymentEvent fully = parse(alipay.signed(alipay.refundNotify(orderId, "rf_b_" + orderId)));
        // a later notify that still carries the refund (TRADE_FINISHED, no gmt_refund) is that refund again, not a payment
        Map<String, String> finished = alipay.refundNotify(orderId, "rf_a_" + orderId);
        finished.put("trade_status", "TRADE_FINISHED");
        finished.remove("gmt_refund");
        PaymentEvent again = parse(alipay.signed(finished));

        assertThat(first).isEqualTo(new RefundResult("rf_a_" + orderId, RefundResult.Status.PENDING, cny(300), null));
        assertThat(second.refundId()).isEqualTo("rf_b_" + orderId);
        assertThat(lastCall("alipay.trade.refund").bizContent()).containsEntry("out_request_no", "rf_b_" + orderId)
                .containsEntry("refund_amount", "7.00").containsEntry("out_trade_no", orderId);
        assertThat(partly.kind()).isEqualTo(PaymentEvent.Kind.REFUNDED);
        assertThat(partly.cumulative()).isTrue();
        assertThat(partly.amount()).isEqualTo(cny(300));
        assertThat(fully.amount()).isEqualTo(cny(1000));
        assertThat(fully.eventId()).isNotEqualTo(partly.eventId());
        assertThat(again).isEqualTo(new PaymentEvent(partly.eventId(), PaymentEvent.Kind.REFUNDED, orderId, partly.gatewayOrderId(),
                cny(300), null, true));
        assertThat(gateway.queryOrder(checkout.gatewayOrderId()))
                .isEqualTo(new PaymentStatus(checkout.gatewayOrderId(), PaymentStatus.State.PAID, cny(1000), cny(1000)));
    }

    @Test
    void anIdempotencyKeyAlipayCannotTakeIsSentAsItsDigestTheSameEachTime() {
        String orderId = orderId();
        Checkout checkout = gateway.createCheckout(request(orderId, 1000, CheckoutRequest.Presentation.QR_CODE, null));
        alipay.payCheckout(checkout);
        RefundRequest request = new RefundRequest(orderId, checkout.gatewayOrderId(), cny(100), null, "refund:" + "x".repeat(80));

        RefundResult first = gateway.refund(request);
        RefundResult again = gateway.refund(request);

        assertThat(first.refundId()).matches("k[0-9a-f]{48}").isEqualTo(again.refundId());
    }

    // ---- notifies --------------------------------------------------------------------------------

    @Test
    void theSameNotifyEightTimesIsOneEventAndTradeFinishedLaterIsTheSamePayment() {
        String orderId = paidOrder(1999);
        byte[] notify = alipay.signed(alipay.paymentNotify(orderId));
        Map<String, String> finished = alipay.paymentNotify(orderId);
        finished.put("trade_status", "TRADE_FINISHED");

        List<PaymentEvent> events = IntStream.range(0, 8).mapToObj(i -> parse(notify)).toList();
        PaymentEvent later = parse(alipay.signed(finished));

        assertThat(events).hasSize(8).containsOnly(events.get(0));
        assertThat(events.get(0).kind()).isEqualTo(PaymentEvent.Kind.PAID);
        assertThat(events.get(0).amount()).isEqualTo(cny(1999));
        assertThat(events.get(0).orderId()).isEqualTo(orderId);
        assertThat(later.eventId()).isEqualTo(events.get(0).eventId());
        assertThat(gateway.acknowledgement().body()).isEqualTo("success".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aForgedNotifyOrOneWithItsAmountAlteredIsRefused() {
        String orderId = paidOrder(1000);
        Map<String, String> notify = alipay.paymentNotify(orderId);
        String genuine = new String(alipay.signed(notify), StandardCharsets.UTF_8);

        assertRefused(alipay.forged(notify), "signature");
        assertRefused(genuine.replace("total_amount=10.00", "total_amount=100.00").getBytes(StandardCharsets.UTF_8), "signature");
        assertRefused(genuine.replace("sign_type=RSA2", "sign_type=RSA").getBytes(StandardCharsets.UTF_8), "RSA2");
        assertRefused(MockAlipay.form(notify), "not signed");
        assertRefused((genuine + "&total_amount=100.00").getBytes(StandardCharsets.UTF_8), "twice");
    }

    @Test
    void aGenuineNotifyForAnotherApplicationOrSellerIsRefused() {
        String orderId = paidOrder(1000);
        Map<String, String> otherApp = alipay.paymentNotify(orderId);
        otherApp.put("app_id", "2021000000000999");
        Map<String, String> otherSeller = alipay.paymentNotify(orderId);
        otherSeller.put("seller_id", "2088999999999999");

        assertRefused(alipay.signed(otherApp), "app_id");
        assertRefused(alipay.signed(otherSeller), "seller_id");
        try (PaymentGateway anySeller = gateway(Map.of("seller-id", ""))) {
            assertThat(anySeller.parseWebhook(MockAlipay.delivery(NOTIFY_URL, alipay.signed(otherSeller)))).isPresent();
        }
    }

    @Test
    void aTradeClosedUnpaidIsAFailureAndAWaitingTradeIsNothing() {
        String orderId = orderId();
        alipay.createTrade(orderId, 300);
        byte[] waiting = alipay.signed(alipay.waitingNotify(orderId));
        alipay.closeTrade(orderId);

        PaymentEvent closed = parse(alipay.signed(alipay.closeNotify(orderId)));

        assertThat(gateway.parseWebhook(MockAlipay.delivery(NOTIFY_URL, waiting))).isEmpty();
        assertThat(closed.kind()).isEqualTo(PaymentEvent.Kind.FAILED);
        assertThat(closed.eventId()).isEqualTo(orderId + ":closed");
        assertThat(closed.amount()).isEqualTo(cny(300));
    }

    // ---- settings --------------------------------------------------------------------------------

    @Test
    void isFoundByItsType() {
        assertThat(ServiceLoader.load(PaymentGatewayFactory.class).stream().map(ServiceLoader.Provider::get))
                .anySatisfy(factory -> assertThat(factory.type()).isEqualTo("alipay"));
    }

    @Test
    void aMissingOrWrongSettingIsNamedWithoutItsValue() {
        Map<String, String> options = new HashMap<>(alipay.gatewayOptions());
        options.remove("app-id");
        assertThatThrownBy(() -> create(options)).hasMessageContaining("apimodels.alipay.app-id");

        String broken = alipay.appPrivateKey().substring(0, 200);
        assertThatThrownBy(() -> create(with("private-key", broken)))
                .hasMessageContaining("apimodels.alipay.private-key").hasMessageNotContaining(broken);
        assertThatThrownBy(() -> create(with("public-key", "bm90IGEga2V5"))).hasMessageContaining("apimodels.alipay.public-key");
        assertThatThrownBy(() -> create(with("gateway-url", "ftp://x"))).hasMessageContaining("apimodels.alipay.gateway-url");
        assertThatThrownBy(() -> create(with("seller-id", "12"))).hasMessageContaining("apimodels.alipay.seller-id");
        assertThatThrownBy(() -> create(with("redirect-product", "app"))).hasMessageContaining("apimodels.alipay.redirect-product");
        assertThat(gateway.toString()).contains(alipay.appId()).doesNotContain(alipay.appPrivateKey());
    }

    // ---- helpers ---------------------------------------------------------------------------------

    private PaymentGateway gateway(Map<String, String> overrides) {
        Map<String, String> options = new HashMap<>(alipay.gatewayOptions());
        options.putAll(overrides);
        return create(options);
    }

    private static PaymentGateway create(Map<String, String> options) {
        return new AlipayGatewayFactory().create(new PaymentGatewayConfig("alipay", options));
    }

    private Map<String, String> with(String option, String value) {
        Map<String, String> options = new HashMap<>(alipay.gatewayOptions());
        options.put(option, value);
        return options;
    }

    private static String orderId() {
        return "ord_" + UUID.randomUUID().toString().replace("-", "");
    }

    private String paidOrder(long fen) {
        Checkout checkout = gateway.createCheckout(request(orderId(), fen, CheckoutRequest.Presentation.QR_CODE, null));
        return alipay.payCheckout(checkout);
    }

    private static CheckoutRequest request(String orderId, long fen, CheckoutRequest.Presentation presentation, Instant expiresAt) {
        return new CheckoutRequest(orderId, cny(fen), "20 credits", "payer@example.com", presentation,
                URI.create("https://reseller.example/console/billing?order=" + orderId),
                URI.create("https://reseller.example/console/billing?cancelled=" + orderId), NOTIFY_URL, expiresAt, "checkout-" + orderId);
    }

    private static Money cny(long fen) {
        return new Money(fen, "CNY");
    }

    private PaymentEvent parse(byte[] body) {
        return gateway.parseWebhook(MockAlipay.delivery(NOTIFY_URL, body)).orElseThrow();
    }

    private void assertRefused(byte[] body, String why) {
        assertThatThrownBy(() -> gateway.parseWebhook(MockAlipay.delivery(NOTIFY_URL, body)))
                .isInstanceOf(WebhookVerificationException.class).hasMessageContaining(why);
    }

    private MockAlipay.Call lastCall(String method) {
        List<MockAlipay.Call> calls = alipay.calls().stream().filter(c -> c.method().equals(method)).toList();
        assertThat(calls).as("calls of %s", method).isNotEmpty();
        return calls.get(calls.size() - 1);
    }

    private static Map<String, String> query(URI uri) {
        Map<String, String> params = new HashMap<>();
        for (String pair : uri.getRawQuery().split("&")) {
            int eq = pair.indexOf('=');
            params.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                    URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return params;
    }

    private static HttpResponse<String> open(URI uri) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
    }
}
