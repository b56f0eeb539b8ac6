package app.apimodels.core.billing;

import app.apimodels.core.failure.Failure;
import app.apimodels.spi.payment.PaymentGateway;

import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The payment gateways in use, by type ({@code stripe}, {@code alipay}…), and the currency each
 * charges in: CNY for {@code alipay} (priced at {@code apimodels.billing.cny-per-usd}), USD for
 * every other gateway.
 */
public final class Gateways implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(Gateways.class.getName());

    private final Map<String, PaymentGateway> byType;

    public Gateways(Map<String, PaymentGateway> byType) {
        this.byType = new TreeMap<>(byType);
    }

    public Optional<PaymentGateway> find(String type) {
        return type == null ? Optional.empty() : Optional.ofNullable(byType.get(type));
    }

    /** The gateway a client named as {@code method}; 400 naming the methods there are otherwise. */
    PaymentGateway method(String method) {
        return find(method).orElseThrow(() -> Failure.invalid("method", byType.isEmpty()
                ? "no payment method is configured on this service"
                : "method must be one of " + String.join(", ", byType.keySet())));
    }

    public java.util.Set<String> types() {
        return byType.keySet();
    }

    static String currency(String type) {
        return "alipay".equals(type) ? "CNY" : "USD";
    }

    boolean chargesCny() {
        return byType.keySet().stream().anyMatch(t -> currency(t).equals("CNY"));
    }

    @Override
    public void close() {
        byType.forEach((type, gateway) -> {
            try {
                gateway.close();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "payment gateway " + type + " did not close: " + e);
            }
        });
    }
}
