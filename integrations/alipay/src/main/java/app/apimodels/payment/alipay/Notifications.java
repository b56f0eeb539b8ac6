package app.apimodels.payment.alipay;

import app.apimodels.spi.payment.Money;
import app.apimodels.spi.payment.PaymentEvent;
import app.apimodels.spi.webhook.InboundWebhook;
import app.apimodels.spi.webhook.WebhookVerificationException;

import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Alipay's asynchronous notifications ({@code notify_url}): a form-encoded POST whose parameters
 * are signed with Alipay's key over their sign content without {@code sign} and {@code sign_type}.
 * Alipay posts one when a trade is paid ({@code TRADE_SUCCESS}, later {@code TRADE_FINISHED} when
 * it can no longer be refunded), refunded (the trade's status then, with {@code refund_fee} — the
 * total refunded so far, read as a cumulative refund event — {@code gmt_refund} and
 * {@code out_biz_no}, the refund's request number)
 * or closed unpaid ({@code TRADE_CLOSED}), and posts it again until answered {@code success}.
 *
 * <p>Event ids are made from what the notify is about, so every resend — and the
 * {@code TRADE_FINISHED} after a {@code TRADE_SUCCESS} — is the same event:
 * {@code <out_trade_no>:paid}, {@code <out_trade_no>:refund:<out_biz_no>}, {@code <out_trade_no>:closed}.
 */
final class Notifications {

    static final String CNY = "CNY";
    private static final int MAX_BYTES = 64 * 1024;

    private final AlipaySettings settings;

    Notifications(AlipaySettings settings) {
        this.settings = settings;
    }

    Optional<PaymentEvent> read(InboundWebhook webhook) {
        Map<String, String> params = verifiedParameters(webhook.body());
        if (!settings.appId().equals(params.get("app_id"))) {
            throw new WebhookVerificationException("the notify is for another Alipay application (app_id)");
        }
        if (settings.sellerId() != null && !settings.sellerId().equals(params.get("seller_id"))) {
            throw new WebhookVerificationException("the notify is for another seller (seller_id)");
        }
        String outTradeNo = required(params, "out_trade_no");
        String status = required(params, "trade_status");
        Money total = amount(params, "total_amount");
        String tradeNo = params.get("trade_no");
        Money refunded = params.containsKey("refund_fee") ? amount(params, "refund_fee") : null;
        if (refunded != null && refunded.minorUnits() > 0) {
            // refund_fee is everything refunded of the trade so far: a cumulative refund event.
            String refund = params.containsKey("out_biz_no") ? params.get("out_biz_no") : "total-" + refunded.toDecimalString();
            return Optional.of(new PaymentEvent(outTradeNo + ":refund:" + refund, PaymentEvent.Kind.REFUNDED, outTradeNo,
                    tradeNo, refunded, OpenApi.readTime(params.get("gmt_refund")), true));
        }
        return switch (status) {
            case "TRADE_SUCCESS", "TRADE_FINISHED" -> Optional.of(new PaymentEvent(outTradeNo + ":paid",
                    PaymentEvent.Kind.PAID, outTradeNo, tradeNo, total, OpenApi.readTime(params.get("gmt_payment"))));
            case "TRADE_CLOSED" -> Optional.of(new PaymentEvent(outTradeNo + ":closed",
                    PaymentEvent.Kind.FAILED, outTradeNo, tradeNo, total, OpenApi.readTime(params.get("gmt_close"))));
            // WAIT_BUYER_PAY (sent only to merchants who ask for it) and anything newer: nothing to act on.
            default -> Optional.empty();
        };
    }

    /** The notify's parameters, once Alipay's signature over them checks out. */
    Map<String, String> verifiedParameters(byte[] body) {
        if (body.length == 0 || body.length > MAX_BYTES) {
            throw new WebhookVerificationException("not an Alipay notify: the body is empty or too long");
        }
        Map<String, String> params = new HashMap<>();
        for (String pair : utf8(body).split("&")) {
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw new WebhookVerificationException("not an Alipay notify: not a form");
            }
            String name;
            String value;
            try {
                name = URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8);
                value = URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw new WebhookVerificationException("not an Alipay notify: a badly encoded form");
            }
            if (params.put(name, value) != null) {
                throw new WebhookVerificationException("not an Alipay notify: " + name + " given twice");
            }
        }
        String sign = params.get("sign");
        if (sign == null || sign.isEmpty()) {
            throw new WebhookVerificationException("the notify is not signed (no sign)");
        }
        if (!Rsa2.SIGN_TYPE.equals(params.get("sign_type"))) {
            throw new WebhookVerificationException("the notify is not signed with RSA2 (sign_type)");
        }
        if (!Rsa2.verify(settings.alipayPublicKey(), Rsa2.signContent(params, Set.of("sign", "sign_type")), sign)) {
            throw new WebhookVerificationException("the notify's signature is not Alipay's (forged or altered)");
        }
        params.values().removeIf(String::isEmpty);
        return params;
    }

    private static String required(Map<String, String> params, String name) {
        String value = params.get(name);
        if (value == null) {
            throw new WebhookVerificationException("the notify has no " + name);
        }
        return value;
    }

    private static Money amount(Map<String, String> params, String name) {
        try {
            return Money.ofDecimal(required(params, name), CNY);
        } catch (IllegalArgumentException e) {
            throw new WebhookVerificationException("the notify's " + name + " is not an amount in yuan");
        }
    }

    private static String utf8(byte[] body) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            throw new WebhookVerificationException("not an Alipay notify: not UTF-8");
        }
    }
}
