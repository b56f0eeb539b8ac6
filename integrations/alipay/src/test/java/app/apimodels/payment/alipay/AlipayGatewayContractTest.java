package app.apimodels.payment.alipay;

import app.apimodels.spi.payment.Checkout;
import app.apimodels.spi.payment.PaymentEvent;
import app.apimodels.spi.payment.PaymentGateway;
import app.apimodels.spi.payment.PaymentGatewayConfig;
import app.apimodels.spi.webhook.InboundWebhook;
import app.apimodels.testkit.MockAlipay;
import app.apimodels.testkit.PaymentGatewayContract;
import org.junit.jupiter.api.AfterAll;

import java.net.URI;
import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The payment contract on the Alipay gateway, against {@link MockAlipay}'s gateway and notifies. */
class AlipayGatewayContractTest extends PaymentGatewayContract {

    private static final URI NOTIFY_URL = URI.create("https://reseller.example/webhooks/alipay");

    private final MockAlipay alipay = new MockAlipay();

    @AfterAll
    void stopTheMock() {
        alipay.close();
    }

    @Override
    protected PaymentGateway createGateway() {
        return new AlipayGatewayFactory().create(new PaymentGatewayConfig("alipay", alipay.gatewayOptions()));
    }

    @Override
    protected void pay(Checkout checkout) {
        alipay.payCheckout(checkout);
    }

    @Override
    protected String currency() {
        return "CNY";
    }

    /** Alipay has no disputes: a chargeback is settled between the payer and Alipay. */
    @Override
    protected Set<PaymentEvent.Kind> eventKinds() {
        return EnumSet.of(PaymentEvent.Kind.PAID, PaymentEvent.Kind.REFUNDED, PaymentEvent.Kind.FAILED);
    }

    @Override
    protected InboundWebhook signedWebhook(PaymentEvent event) {
        return MockAlipay.delivery(NOTIFY_URL, alipay.signed(notify(event)));
    }

    @Override
    protected InboundWebhook forgedWebhook(PaymentEvent event) {
        return MockAlipay.delivery(NOTIFY_URL, alipay.forged(notify(event)));
    }

    @Override
    protected InboundWebhook unsignedWebhook(PaymentEvent event) {
        return MockAlipay.delivery(NOTIFY_URL, MockAlipay.form(notify(event)));
    }

    @Override
    protected Optional<InboundWebhook> unrelatedWebhook() {
        String orderId = newOrderId();
        alipay.createTrade(orderId, 100);
        return Optional.of(MockAlipay.delivery(NOTIFY_URL, alipay.signed(alipay.waitingNotify(orderId))));
    }

    @Override
    protected Set<String> secrets() {
        return Set.of(alipay.appPrivateKey());
    }

    /** The notify Alipay posts for what {@code event} says happened, the trade made so at the mock first. */
    private Map<String, String> notify(PaymentEvent event) {
        String orderId = event.orderId();
        alipay.createTrade(orderId, event.amount().minorUnits());
        Map<String, String> notify;
        switch (event.kind()) {
            case PAID -> {
                alipay.pay(orderId);
                notify = alipay.paymentNotify(orderId);
                notify.put("gmt_payment", MockAlipay.time(event.occurredAt()));
            }
            case REFUNDED -> {
                String request = "rf_" + event.eventId();
                alipay.pay(orderId);
                alipay.refund(orderId, request, event.amount().minorUnits());
                notify = alipay.refundNotify(orderId, request);
                notify.put("gmt_refund", MockAlipay.refundTime(event.occurredAt()));
            }
            case FAILED -> {
                alipay.closeTrade(orderId);
                notify = alipay.closeNotify(orderId);
                notify.put("gmt_close", MockAlipay.time(event.occurredAt()));
            }
            default -> throw new IllegalArgumentException("Alipay reports no " + event.kind());
        }
        return notify;
    }
}
