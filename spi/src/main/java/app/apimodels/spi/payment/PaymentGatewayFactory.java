package app.apimodels.spi.payment;

/**
 * Creates a {@link PaymentGateway} from configuration; found by {@link java.util.ServiceLoader}
 * (and as a CDI bean inside a container). A gateway is enabled by configuring it: the settings
 * {@code apimodels.<type>.*} are handed to the factory of that type.
 */
public interface PaymentGatewayFactory {

    /** The gateway's name, e.g. {@code stripe} or {@code alipay}. */
    String type();

    /**
     * @throws IllegalArgumentException naming the setting if the configuration is incomplete or wrong
     */
    PaymentGateway create(PaymentGatewayConfig config);
}
