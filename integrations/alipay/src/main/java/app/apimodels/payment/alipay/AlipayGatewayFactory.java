package app.apimodels.payment.alipay;

import app.apimodels.spi.payment.PaymentGateway;
import app.apimodels.spi.payment.PaymentGatewayConfig;
import app.apimodels.spi.payment.PaymentGatewayFactory;

import java.time.Clock;

/**
 * The {@code alipay} payment gateway. Settings, as {@code apimodels.alipay.<name>}: {@code app-id},
 * {@code private-key} (the application's RSA private key, PKCS #8 base64), {@code public-key}
 * (Alipay's public key for the application, X.509 base64), {@code gateway-url} (default Alipay's
 * production gateway), {@code seller-id} (optional: refuse notifies for another seller) and
 * {@code redirect-product} ({@code page}, the default, or {@code wap}).
 */
public final class AlipayGatewayFactory implements PaymentGatewayFactory {

    @Override
    public String type() {
        return AlipayGateway.TYPE;
    }

    @Override
    public PaymentGateway create(PaymentGatewayConfig config) {
        return new AlipayGateway(AlipaySettings.from(config), Clock.systemUTC());
    }
}
