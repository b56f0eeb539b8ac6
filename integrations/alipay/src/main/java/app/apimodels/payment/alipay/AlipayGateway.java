package app.apimodels.payment.alipay;

import app.apimodels.json.JsonMappers;
import app.apimodels.spi.payment.Checkout;
import app.apimodels.spi.payment.CheckoutRequest;
import app.apimodels.spi.payment.Money;
import app.apimodels.spi.payment.PaymentEvent;
import app.apimodels.spi.payment.PaymentException;
import app.apimodels.spi.payment.PaymentGateway;
import app.apimodels.spi.payment.PaymentStatus;
import app.apimodels.spi.payment.RefundRequest;
import app.apimodels.spi.payment.RefundResult;
import app.apimodels.spi.payment.WebhookAcknowledgement;
import app.apimodels.spi.webhook.InboundWebhook;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;

/**
 * Alipay (支付宝) through its open API, signed and verified with RSA2 by the JDK alone. A
 * {@code QR_CODE} checkout is 当面付 {@code alipay.trade.precreate} (the payer scans the code with
 * the Alipay app); a {@code REDIRECT} checkout is a signed link to 电脑网站支付
 * {@code alipay.trade.page.pay}, or to 手机网站支付 {@code alipay.trade.wap.pay} when
 * {@code redirect-product} is {@code wap}. Amounts are CNY; {@code out_trade_no} is our order id.
 * Refunds are {@code alipay.trade.refund} with our idempotency key as {@code out_request_no};
 * Alipay confirms each by a notify (a cumulative {@code REFUNDED} event: its {@code refund_fee} is
 * the trade's refunded total), so a refund it accepted is {@link RefundResult.Status#PENDING} —
 * its trade query does not report partial refunds.
 */
final class AlipayGateway implements PaymentGateway {

    static final String TYPE = "alipay";
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private final AlipaySettings settings;
    private final OpenApi api;
    private final Notifications notifications;
    private final CheckoutReferences references;
    private final Clock clock;

    AlipayGateway(AlipaySettings settings, Clock clock) {
        this.settings = settings;
        this.clock = clock;
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NEVER).build();
        this.api = new OpenApi(settings, http, clock, JsonMappers.create());
        this.notifications = new Notifications(settings);
        this.references = new CheckoutReferences(settings.privateKey());
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public Checkout createCheckout(CheckoutRequest request) {
        String outTradeNo = outTradeNo(request.orderId());
        ObjectNode biz = JSON.objectNode()
                .put("out_trade_no", outTradeNo)
                .put("total_amount", yuan(request.amount()))
                .put("subject", subject(request.description()));
        if (request.expiresAt() != null) {
            biz.put("time_expire", OpenApi.time(request.expiresAt()));
        }
        Map<String, String> common = new HashMap<>();
        if (request.notifyUrl() != null) {
            common.put("notify_url", request.notifyUrl().toString());
        }
        String reference = references.issue(outTradeNo, request.expiresAt());
        if (request.presentation() == CheckoutRequest.Presentation.QR_CODE) {
            OpenApi.Answer answer = api.call("alipay.trade.precreate", biz, common);
            if (!answer.success()) {
                throw answer.failure();
            }
            String qrCode = answer.text("qr_code");
            if (qrCode == null || !outTradeNo.equals(answer.text("out_trade_no"))) {
                throw new PaymentException("Alipay's precreate answer has no qr_code for " + outTradeNo, false, null);
            }
            return Checkout.qrCode(reference, qrCode, request.expiresAt());
        }
        AlipaySettings.RedirectProduct product = settings.redirect();
        biz.put("product_code", product.productCode);
        if (request.returnUrl() != null) {
            common.put("return_url", request.returnUrl().toString());
        }
        if (product == AlipaySettings.RedirectProduct.WAP) {
            URI quit = request.cancelUrl() != null ? request.cancelUrl() : request.returnUrl();
            if (quit != null) {
                biz.put("quit_url", quit.toString());
            }
        }
        return Checkout.redirect(reference, api.pageLink(product.method, biz, common), request.expiresAt());
    }

    @Override
    public Optional<PaymentEvent> parseWebhook(InboundWebhook webhook) {
        return notifications.read(webhook);
    }

    /** Alipay resends a notify until it reads exactly {@code success}. */
    @Override
    public WebhookAcknowledgement acknowledgement() {
        return WebhookAcknowledgement.text("success");
    }

    @Override
    public RefundResult refund(RefundRequest request) {
        String outRequestNo = outRequestNo(request.idempotencyKey());
        ObjectNode biz = JSON.objectNode()
                .put("out_trade_no", outTradeNoOf(request.gatewayOrderId(), request.orderId()))
                .put("refund_amount", yuan(request.amount()))
                .put("out_request_no", outRequestNo);
        if (request.reason() != null && !request.reason().isBlank()) {
            biz.put("refund_reason", truncate(request.reason().strip(), 256));
        }
        OpenApi.Answer answer = api.call("alipay.trade.refund", biz, Map.of());
        if (answer.success()) {
            return new RefundResult(outRequestNo, RefundResult.Status.PENDING, request.amount(), null);
        }
        if (answer.retryable() || !"40004".equals(answer.code())) {
            throw answer.failure();
        }
        return new RefundResult(null, RefundResult.Status.FAILED, request.amount(), answer.refusal());
    }

    @Override
    public PaymentStatus queryOrder(String gatewayOrderId) {
        Optional<CheckoutReferences.Reference> reference = references.read(gatewayOrderId);
        String outTradeNo = reference.map(CheckoutReferences.Reference::outTradeNo).orElse(gatewayOrderId);
        OpenApi.Answer answer = api.call("alipay.trade.query", JSON.objectNode().put("out_trade_no", outTradeNo), Map.of());
        Money none = new Money(0, Notifications.CNY);
        if (!answer.success()) {
            if ("ACQ.TRADE_NOT_EXIST".equals(answer.subCode()) && reference.isPresent()) {
                // Ours, but nobody scanned or opened it yet: payable until it expires.
                boolean expired = reference.get().expiresAt() != null && !clock.instant().isBefore(reference.get().expiresAt());
                return new PaymentStatus(gatewayOrderId, expired ? PaymentStatus.State.EXPIRED : PaymentStatus.State.PENDING, none, none);
            }
            throw answer.failure();
        }
        Money total = money(answer, "total_amount");
        String status = answer.text("trade_status");
        return switch (status == null ? "" : status) {
            case "WAIT_BUYER_PAY" -> new PaymentStatus(gatewayOrderId, PaymentStatus.State.PENDING, none, none);
            case "TRADE_SUCCESS", "TRADE_FINISHED" -> new PaymentStatus(gatewayOrderId, PaymentStatus.State.PAID, total, none);
            // Closed after a payment means refunded in full; closed without one, not paid in time or closed by us.
            case "TRADE_CLOSED" -> answer.text("send_pay_date") != null
                    ? new PaymentStatus(gatewayOrderId, PaymentStatus.State.PAID, total, total)
                    : new PaymentStatus(gatewayOrderId, PaymentStatus.State.EXPIRED, none, none);
            default -> throw new PaymentException("Alipay's trade query answered an unknown trade_status", false, null);
        };
    }

    @Override
    public void close(String gatewayOrderId) {
        Optional<CheckoutReferences.Reference> reference = references.read(gatewayOrderId);
        String outTradeNo = reference.map(CheckoutReferences.Reference::outTradeNo).orElse(gatewayOrderId);
        OpenApi.Answer answer = api.call("alipay.trade.close", JSON.objectNode().put("out_trade_no", outTradeNo), Map.of());
        if (answer.success() || "ACQ.TRADE_NOT_EXIST".equals(answer.subCode())) {
            return;
        }
        if ("ACQ.TRADE_STATUS_ERROR".equals(answer.subCode())) {
            // Already closed, or paid meanwhile: only the latter is news.
            if (queryOrder(gatewayOrderId).state() == PaymentStatus.State.PAID) {
                throw new PaymentException("Alipay trade " + outTradeNo + " was paid and cannot be closed", false, null);
            }
            return;
        }
        throw answer.failure();
    }

    @Override
    public String toString() {
        return "AlipayGateway[" + settings + "]";
    }

    // ---- the wire's rules -----------------------------------------------------------------------

    /** Alipay's merchant order number: up to 64 letters, digits and underscores. */
    private static String outTradeNo(String orderId) {
        if (!orderId.matches("[A-Za-z0-9_]{1,64}")) {
            throw new IllegalArgumentException("an Alipay out_trade_no (our order id) is 1 to 64 letters, digits and underscores");
        }
        return orderId;
    }

    private String outTradeNoOf(String gatewayOrderId, String orderId) {
        return references.read(gatewayOrderId).map(CheckoutReferences.Reference::outTradeNo).orElse(outTradeNo(orderId));
    }

    /** The idempotency key itself when Alipay takes it as out_request_no (64 characters), else a digest of it. */
    private static String outRequestNo(String idempotencyKey) {
        if (idempotencyKey.matches("[A-Za-z0-9_-]{1,64}")) {
            return idempotencyKey;
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(idempotencyKey.getBytes(StandardCharsets.UTF_8));
            return "k" + HexFormat.of().formatHex(digest, 0, 24);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Yuan with two decimals, as Alipay writes amounts; Alipay takes CNY only. */
    private static String yuan(Money amount) {
        if (!Notifications.CNY.equals(amount.currency())) {
            throw new IllegalArgumentException("Alipay charges in CNY, not " + amount.currency());
        }
        return amount.toDecimalString();
    }

    private static Money money(OpenApi.Answer answer, String field) {
        try {
            return Money.ofDecimal(answer.text(field), Notifications.CNY);
        } catch (RuntimeException e) {
            throw new PaymentException("Alipay's " + field + " is not an amount", false, e);
        }
    }

    /** The subject Alipay shows the payer: no {@code / = &} (Alipay refuses them), at most 256 characters. */
    private static String subject(String description) {
        String text = description == null || description.isBlank() ? "Credits" : description.replaceAll("[/=&\\p{Cntrl}]", " ").strip();
        return truncate(text.isEmpty() ? "Credits" : text, 256);
    }

    private static String truncate(String text, int max) {
        return text.length() <= max ? text : text.substring(0, Character.isHighSurrogate(text.charAt(max - 1)) ? max - 1 : max);
    }
}
