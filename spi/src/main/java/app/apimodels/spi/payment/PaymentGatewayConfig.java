package app.apimodels.spi.payment;

import java.util.Map;
import java.util.Optional;

/**
 * The settings of one gateway: every {@code apimodels.<type>.*} configuration key, with that
 * prefix removed ({@code apimodels.stripe.secret-key} → {@code secret-key}).
 *
 * @param type    the {@link PaymentGatewayFactory#type()} they are for
 * @param options the settings; secrets among them are never logged
 */
public record PaymentGatewayConfig(String type, Map<String, String> options) {
    public PaymentGatewayConfig {
        options = Map.copyOf(options);
    }

    public Optional<String> option(String name) {
        return Optional.ofNullable(options.get(name)).filter(v -> !v.isBlank());
    }

    /** A required setting; the exception names the full configuration key. */
    public String require(String name) {
        return option(name).orElseThrow(() -> new IllegalArgumentException(
                "apimodels." + type + "." + name + " is required for payment gateway " + type));
    }

    @Override
    public String toString() {
        return "PaymentGatewayConfig[type=" + type + ", keys=" + options.keySet() + "]";
    }
}
