package app.apimodels.console;

import app.apimodels.console.operators.Operators;
import app.apimodels.core.accounts.MailLinks;
import app.apimodels.core.config.Keys;
import app.apimodels.core.config.Settings;
import app.apimodels.core.extension.Extension;
import app.apimodels.core.extension.Services;
import app.apimodels.core.web.ApiException;
import app.apimodels.core.web.Router;
import app.apimodels.core.web.Router.Access;
import app.apimodels.spi.web.Exchange;
import app.apimodels.spi.web.Response;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The browser console as an engine {@link Extension} (found by ServiceLoader when this jar is on
 * the class path; off with {@code apimodels.console.enabled=false}): its pages under
 * {@code /console/}, its static files, and HTML error pages on its paths. Mailed sign-up and reset
 * links land on its pages.
 */
public final class ConsoleExtension implements Extension {

    private volatile Console console;

    @Override
    public String name() {
        return "console";
    }

    @Override
    public boolean enabled(Settings settings) {
        return settings.get(Keys.CONSOLE_ENABLED);
    }

    @Override
    public MailLinks mailLinks() {
        return new MailLinks(AuthPages.VERIFY, AuthPages.RESET, AuthPages.CONFIRM_EMAIL);
    }

    /**
     * The sections, in menu order. A new page is a {@link Section} added here (see docs/console.md).
     */
    private static List<Section> sections() {
        List<Section> all = new ArrayList<>(List.of(new AuthPages(), new Dashboard(), new KeysPage(), new BillingPage(), new UsagePage(),
                new TasksPage(), new ModelsPage(), new QuickStartPage(), new AccountPage()));
        all.addAll(Operators.sections());
        return all;
    }

    @Override
    public void install(Router router, Services services) {
        Console c = new Console(router, services, new Assets());
        c.route("GET", "/console/assets/{name}", Access.PUBLIC, c::asset)
                .route("GET", "/console/lang", Access.PUBLIC, r -> {
                    String to = r.exchange().query("to");
                    if (to == null || !Messages.LANGUAGES.contains(to)) {
                        throw ApiException.badRequest("to", "to must be one of " + Messages.LANGUAGES);
                    }
                    c.redirect(r.exchange(), Next.safe(r.exchange().query("next")), Map.of("Set-Cookie",
                            Language.COOKIE + "=" + to + "; Path=" + Console.root(r.exchange()) + "/console; Max-Age=31536000; SameSite=Lax"));
                });
        sections().forEach(s -> s.install(c));
        console = c;
    }

    @Override
    public boolean owns(String path) {
        return path.equals("/console") || path.startsWith("/console/");
    }

    @Override
    public Response failure(Exchange exchange, ApiException error) {
        return console.failure(exchange, error);
    }
}
