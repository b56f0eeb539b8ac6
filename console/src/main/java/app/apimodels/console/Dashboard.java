package app.apimodels.console;

import app.apimodels.core.web.Router.Access;

/**
 * The signed-in person's home page ({@code /console/}). A placeholder for now: the page every
 * log-in lands on, which the people's pages (balance, spend chart, recent calls) fill.
 */
final class Dashboard implements Section {

    @Override
    public void install(Console console) {
        console.nav(Nav.Area.PEOPLE, "nav.dashboard", "/console/")
                .route("GET", "/console/", Access.ACCOUNT, r -> console.render(r, "dashboard.jte", "dashboard.title"));
    }
}
