package app.apimodels.console.operators;

import app.apimodels.console.Feedback;
import app.apimodels.core.billing.Billing;
import app.apimodels.core.billing.Order;
import app.apimodels.core.web.Form;
import app.apimodels.core.web.Request;
import app.apimodels.core.web.Text;

import java.util.List;
import java.util.Set;

/**
 * Orders and refunds: search orders (user, state, held for review), one order with its gateway
 * events and ledger transfers, and a refund through the gateway (all that is not yet refunded, or
 * an amount); the credits are clawed back when the gateway confirms it.
 */
final class OrdersPages extends OperatorSection {

    static final String LIST = "/console/admin/orders";
    static final List<String> STATES = List.of(Order.PENDING, Order.PAID, Order.EXPIRED, Order.FAILED, Order.REFUNDED,
            Order.PARTIALLY_REFUNDED, Order.DISPUTED);

    @Override
    void routes() {
        page("nav.ops.orders", LIST);
        get(LIST, this::list);
        get(LIST + "/{id}", r -> show(r, 200, Feedback.EMPTY));
        post(LIST + "/{id}/refund", this::refund);
    }

    private void list(Request r) {
        Long user = number(r, "user");
        String state = query(r, "state", 40);
        if (state != null && !Set.copyOf(STATES).contains(state)) {
            throw app.apimodels.core.web.ApiException.badRequest("state", "state must be one of " + STATES);
        }
        boolean review = "true".equals(r.exchange().query("review"));
        List<Order> orders = services.billing().search(new Billing.Query(user, state, null, null, null, review, 100));
        console.render(r, 200, "operators/orders.jte", "ops.orders.title", model(r, "orders", orders, "states", STATES,
                "user", user == null ? "" : user.toString(), "state", state == null ? "" : state, "review", review));
    }

    private void show(Request r, int status, Feedback form) {
        String id = Text.checked("id", r.param("id"), 100);
        Order o = services.billing().get(id);
        console.render(r, status, "operators/order.jte", "ops.order.title", model(r, "order", o,
                "events", services.billing().events(o.id()), "transfers", services.billing().transfers(o.id()), "form", form));
    }

    private void refund(Request r) {
        Form f = console.form(r);
        String id = Text.checked("id", r.param("id"), 100);
        change(r, typed(f, "amount"), () -> services.billing().refund(id, Show.micros(f.get("amount"), "amount")),
                LIST + "/" + java.net.URLEncoder.encode(id, java.nio.charset.StandardCharsets.UTF_8) + "?done=refund",
                (status, form) -> show(r, status, form));
    }
}
