package app.apimodels.testkit.payment;

import app.apimodels.spi.payment.Money;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * TEST FIXTURE: the in-memory "payment service" behind {@link ReferenceGateway}, standing in for a
 * vendor's API so the contract's self-test has something to pay, refund and query. Amounts are
 * kept as the decimal strings such vendors send ({@code "19.99"}), which is what tempts
 * implementations into floating point.
 */
final class ReferenceVendor {

    /** One order at the vendor. */
    static final class Order {
        final String id;
        final String merchantOrderId;
        final String amount;
        final String currency;
        String state = "open";
        long refundedMinor;
        final Map<String, String> refundsByRequest = new HashMap<>();

        Order(String id, String merchantOrderId, String amount, String currency) {
            this.id = id;
            this.merchantOrderId = merchantOrderId;
            this.amount = amount;
            this.currency = currency;
        }
    }

    private final Map<String, Order> orders = new LinkedHashMap<>();
    private final Map<String, String> checkoutsByKey = new HashMap<>();

    synchronized Order createOrder(String idempotencyKey, String merchantOrderId, String amount, String currency) {
        String existing = idempotencyKey == null ? null : checkoutsByKey.get(idempotencyKey);
        if (existing != null) {
            return orders.get(existing);
        }
        Order order = new Order("rp_" + UUID.randomUUID().toString().replace("-", ""), merchantOrderId, amount, currency);
        orders.put(order.id, order);
        if (idempotencyKey != null) {
            checkoutsByKey.put(idempotencyKey, order.id);
        }
        return order;
    }

    synchronized Order order(String id) {
        return orders.get(id);
    }

    synchronized void pay(String id) {
        orders.get(id).state = "paid";
    }

    /** A refund id, or null if more is asked than is left; the same request id refunds once. */
    synchronized String refund(String id, String requestId, String amount) {
        Order order = orders.get(id);
        String known = requestId == null ? null : order.refundsByRequest.get(requestId);
        if (known != null) {
            return known;
        }
        long minor = Money.ofDecimal(amount, order.currency).minorUnits();
        if (!order.state.equals("paid")
                || order.refundedMinor + minor > Money.ofDecimal(order.amount, order.currency).minorUnits()) {
            return null;
        }
        order.refundedMinor += minor;
        String refundId = "rf_" + UUID.randomUUID().toString().replace("-", "");
        if (requestId != null) {
            order.refundsByRequest.put(requestId, refundId);
        }
        return refundId;
    }
}
