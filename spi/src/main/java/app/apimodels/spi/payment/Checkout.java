package app.apimodels.spi.payment;

import java.net.URI;
import java.time.Instant;
import java.util.Objects;

/**
 * A checkout the gateway created: where the payer goes to pay. Exactly one of
 * {@code redirectUrl} and {@code qrCode} is set.
 *
 * @param gatewayOrderId the gateway's id for it (Stripe's Checkout Session id, Alipay's
 *                       {@code out_trade_no} or {@code trade_no}); what {@link PaymentGateway#queryOrder} takes
 * @param redirectUrl    the payment page to send the browser to, or null
 * @param qrCode         the text to render as a QR code for the payer to scan, or null
 * @param expiresAt      when the checkout can no longer be paid, if the gateway said
 */
public record Checkout(String gatewayOrderId, URI redirectUrl, String qrCode, Instant expiresAt) {
    public Checkout {
        Objects.requireNonNull(gatewayOrderId, "gatewayOrderId");
        if ((redirectUrl == null) == (qrCode == null || qrCode.isBlank())) {
            throw new IllegalArgumentException("exactly one of redirectUrl and qrCode");
        }
    }

    public static Checkout redirect(String gatewayOrderId, URI redirectUrl, Instant expiresAt) {
        return new Checkout(gatewayOrderId, redirectUrl, null, expiresAt);
    }

    public static Checkout qrCode(String gatewayOrderId, String qrCode, Instant expiresAt) {
        return new Checkout(gatewayOrderId, null, qrCode, expiresAt);
    }
}
