package app.apimodels.console.operators;

import app.apimodels.console.Section;

import java.util.List;

/** The operators' pages (admins only), in menu order. */
public final class Operators {

    private Operators() {
    }

    public static List<Section> sections() {
        return List.of(new UsersPages(), new OrdersPages(), new RedemptionPages(), new CatalogPages(), new CallsPage(),
                new ReconciliationPage(), new PolicyPages(), new PrivacyPage(), new SystemPages());
    }
}
