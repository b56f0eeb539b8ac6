package app.apimodels.console;

import app.apimodels.core.accounts.Account;
import app.apimodels.core.billing.Billing;
import app.apimodels.core.billing.Order;
import app.apimodels.core.failure.Failure;
import app.apimodels.core.ledger.Transfer;
import app.apimodels.core.web.ApiException;
import app.apimodels.core.web.Form;
import app.apimodels.core.web.Request;
import app.apimodels.core.web.Router.Access;
import app.apimodels.core.web.Text;
import app.apimodels.spi.payment.CheckoutRequest;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Topping up ({@code /console/billing}): an amount or a package through a configured gateway —
 * Stripe sends the browser to its checkout page, Alipay's QR code is drawn here as an image — a
 * redemption code, and the account's orders with their states. The gateway's return page is this
 * one with {@code ?order=<id>}.
 */
final class BillingPage implements Section {

    private static final int ORDERS = 50;

    private Console console;

    @Override
    public void install(Console console) {
        this.console = console;
        console.nav(Nav.Area.PEOPLE, "nav.billing", "/console/billing")
                .route("GET", "/console/billing", Access.ACCOUNT, r -> show(r, 200, Feedback.EMPTY, null))
                .route("POST", "/console/billing/checkout", Access.ACCOUNT, this::checkout)
                .route("POST", "/console/billing/redeem", Access.ACCOUNT, this::redeem);
    }

    private void show(Request r, int status, Feedback form, String done) {
        Billing billing = console.services().billing();
        long accountId = r.caller().accountId();
        Map<String, Object> model = new HashMap<>();
        String orderId = r.exchange().query("order");
        Order returned = null;
        if (orderId != null && !orderId.isBlank()) {
            returned = billing.order(accountId, Text.checked("order", orderId.trim(), 64)); // 404 for another's order
        }
        model.put("returned", returned);
        model.put("methods", billing.gateways().types().stream().sorted().toList());
        model.put("packages", billing.packages());
        model.put("orders", billing.orders(accountId, ORDERS));
        model.put("balance", console.services().ledger().balance(console.services().accounts().get(accountId)).available());
        model.put("form", form);
        model.put("done", done);
        console.render(r, status, "billing.jte", "billing.title", model);
    }

    private void checkout(Request r) {
        Form f = console.form(r);
        Map<String, String> typed = typed(f, "amount", "package", "method");
        Billing.Started started;
        try {
            String method = Text.checked("method", f.get("method"), 40);
            if (method == null || method.isBlank()) {
                throw ApiException.badRequest("method", "choose how to pay");
            }
            String pkg = f.get("package") == null || f.get("package").isBlank() ? null : Text.checked("package", f.get("package"), 60);
            Long micros = pkg == null ? Format.micros("amount", f.get("amount")) : null;
            if (pkg == null && micros == null) {
                throw ApiException.badRequest("amount", "enter an amount or choose a package");
            }
            // Alipay is paid by scanning its code with the phone; other gateways by their own page.
            CheckoutRequest.Presentation presentation = "alipay".equals(method)
                    ? CheckoutRequest.Presentation.QR_CODE : CheckoutRequest.Presentation.REDIRECT;
            started = console.services().billing().checkout(r.caller().accountId(), micros, pkg, method, presentation,
                    r.exchange().baseUrl());
        } catch (Failure | ApiException e) {
            ApiException error = AuthPages.asApi(e);
            show(r, error.status(), new Feedback(typed, console.message(r.exchange(), error), error.param() == null ? null
                    : error.param().equals("amount_micros") ? "amount" : error.param()), null);
            return;
        }
        Map<String, Object> model = new HashMap<>();
        model.put("order", started.order());
        model.put("redirect", started.checkout().redirectUrl() == null ? null : started.checkout().redirectUrl().toString());
        model.put("qr", started.checkout().qrCode() == null ? null : QrCodes.dataUrl(started.checkout().qrCode()));
        console.render(r, 201, "pay.jte", "pay.title", model);
    }

    private void redeem(Request r) {
        Form f = console.form(r);
        Transfer credited;
        try {
            Account account = console.services().accounts().get(r.caller().accountId());
            String code = Text.checked("code", f.get("code"), 64);
            if (code == null || code.isBlank()) {
                throw ApiException.badRequest("code", "enter the code");
            }
            credited = console.services().redemptions().redeem(account, code, console.services().clientAddress().of(r.exchange()));
        } catch (Failure | ApiException e) {
            ApiException error = AuthPages.asApi(e);
            show(r, error.status(), new Feedback(Map.of(), console.message(r.exchange(), error), error.param()), null);
            return;
        }
        show(r, 200, Feedback.EMPTY, console.messages(r.exchange()).t("billing.redeemed", Format.credits(credited.amount())));
    }

    private static Map<String, String> typed(Form f, String... names) {
        Map<String, String> typed = new HashMap<>();
        for (String name : List.of(names)) {
            typed.put(name, f.get(name) == null ? "" : f.get(name));
        }
        return typed;
    }
}
