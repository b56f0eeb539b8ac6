package app.apimodels.core.engine;

import app.apimodels.core.extension.Extension;
import app.apimodels.core.extension.Services;
import app.apimodels.core.web.ApiException;
import app.apimodels.core.web.Form;
import app.apimodels.core.web.Router;
import app.apimodels.core.web.Router.Access;
import app.apimodels.spi.web.Exchange;
import app.apimodels.spi.web.Response;
import app.apimodels.testkit.web.MockExchange;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

import static app.apimodels.core.engine.EngineHarness.ADMIN_KEY;
import static app.apimodels.core.engine.EngineHarness.expect;
import static app.apimodels.core.engine.EngineHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The extension point the console plugs into, with an extension of the test's own: its routes are
 * served like the engine's (same authentication), failures on its paths are its to render, a form
 * posted with the session cookie must carry the session's {@code csrf_token} field (checked by the
 * engine before the handler), and it can be switched off by its settings.
 */
class ExtensionTest {

    private static final String PASSWORD = "correct horse battery staple";

    @TempDir
    Path dir;
    private EngineHarness engine;

    @AfterEach
    void stop() {
        if (engine != null) {
            engine.close();
        }
    }

    /** Echoes a form's {@code text} to a signed-in caller; renders its own failures as plain text. */
    static final class Echo implements Extension {
        @Override
        public String name() {
            return "echo";
        }

        @Override
        public boolean enabled(app.apimodels.core.config.Settings settings) {
            return !settings.startingWith("apimodels.echo.").containsKey("off");
        }

        @Override
        public void install(Router router, Services services) {
            assertThat(services.accounts()).isNotNull();
            router.add("POST", "/echo/form", Access.ACCOUNT, r -> r.exchange().respond(Response.text(200, "text/plain",
                    "echo " + Form.of(r.exchange()).get("text") + " for " + r.caller().accountId())));
        }

        @Override
        public boolean owns(String path) {
            return path.startsWith("/echo/");
        }

        @Override
        public Response failure(Exchange exchange, ApiException error) {
            return Response.text(error.status(), "text/plain", "echo failed: " + error.code());
        }
    }

    @Test
    void routesFailuresAndFormCsrfOfAnExtension() throws Exception {
        engine = EngineHarness.start(dir, Map.of(), b -> b.extension(new Echo()));
        assertThat(json(expect(engine.get("/admin/plugins", ADMIN_KEY), 200)).get("extensions_enabled").toString()).contains("echo");

        MockExchange.Answer missing = engine.call(MockExchange.get("/echo/nothing"));
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.bodyText()).isEqualTo("echo failed: not_found");
        assertThat(engine.call(MockExchange.post("/echo/form")).bodyText()).isEqualTo("echo failed: invalid_api_key");
        assertThat(engine.call(MockExchange.get("/nothing")).contentType()).as("other paths keep the engine's errors")
                .isEqualTo("application/problem+json");

        expect(engine.post("/admin/users", ADMIN_KEY, "{\"email\":\"ada@example.com\",\"password\":\"" + PASSWORD + "\"}"), 201);
        Browser browser = new Browser(engine);
        expect(browser.login("ada@example.com", PASSWORD), 200);
        String token = browser.csrf();

        assertThat(form(browser, Browser.ORIGIN, "text=hi&csrf_token=" + token).bodyText()).startsWith("echo hi for ");
        assertThat(form(browser, Browser.ORIGIN, "text=hi").bodyText()).isEqualTo("echo failed: csrf_rejected");
        assertThat(form(browser, Browser.ORIGIN, "text=hi&csrf_token=wrong").bodyText()).isEqualTo("echo failed: csrf_rejected");
        assertThat(form(browser, "https://evil.example", "text=hi&csrf_token=" + token).bodyText())
                .isEqualTo("echo failed: csrf_rejected");
        assertThat(form(browser, Browser.ORIGIN, "text=%zz&csrf_token=" + token).status()).as("a malformed form").isEqualTo(400);
    }

    @Test
    void aDisabledExtensionIsNotInstalled() throws Exception {
        engine = EngineHarness.start(dir, Map.of("apimodels.echo.off", "true"), b -> b.extension(new Echo()));
        assertThat(json(expect(engine.get("/admin/plugins", ADMIN_KEY), 200)).get("extensions_enabled").size()).isZero();
        assertThat(engine.call(MockExchange.get("/echo/nothing")).contentType()).isEqualTo("application/problem+json");
    }

    private MockExchange.Answer form(Browser browser, String origin, String body) {
        return engine.call(MockExchange.post("/echo/form").header("Cookie", browser.cookie()).header("Origin", origin)
                .body(Form.TYPE, body.getBytes(StandardCharsets.UTF_8)));
    }
}
