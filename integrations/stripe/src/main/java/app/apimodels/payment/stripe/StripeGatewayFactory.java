package app.apimodels.payment.stripe;

import app.apimodels.spi.payment.PaymentGateway;
import app.apimodels.spi.payment.PaymentGatewayConfig;
import app.apimodels.spi.payment.PaymentGatewayFactory;

import java.time.Clock;

/**
 * The {@code stripe} payment gateway: Stripe Checkout for credit purchases, its signed webhooks,
 * refunds and order queries, through stripe-java. Settings, as {@code apimodels.stripe.<name>}:
 * {@code secret-key} (required), {@code webhook-secret} (the endpoint's signing secret; several,
 * comma-separated, while one is rotated; without it every webhook is refused) and
 * {@code api-base} (default {@code https://api.stripe.com}).
 */
public final class StripeGatewayFactory implements PaymentGatewayFactory {

    @Override
    public String type() {
        return StripeGateway.TYPE;
    }

    @Override
    public PaymentGateway create(PaymentGatewayConfig config) {
        return new StripeGateway(StripeSettings.from(config), Clock.systemUTC());
    }
}
