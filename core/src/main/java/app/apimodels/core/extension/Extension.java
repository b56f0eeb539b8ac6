package app.apimodels.core.extension;

import app.apimodels.core.accounts.MailLinks;
import app.apimodels.core.config.Settings;
import app.apimodels.core.web.ApiException;
import app.apimodels.core.web.Router;
import app.apimodels.spi.web.Exchange;
import app.apimodels.spi.web.Response;

/**
 * A module that adds pages or endpoints to the engine without core depending on it — the browser
 * console ({@code apimodels-console}) is one. Found with {@link java.util.ServiceLoader} on the
 * builder's class loader ({@code META-INF/services/app.apimodels.core.extension.Extension}) or
 * handed to {@code ApiModels.Builder#extension}; listed under {@code GET /admin/plugins}.
 *
 * <p>At start the engine asks each one whether it is {@link #enabled}, then lets the enabled ones
 * {@link #install} their routes on the engine's router, where they are served like the engine's
 * own (same authentication, CSRF and origin checks, abuse limits). Failures on the paths an
 * extension {@link #owns} are answered by its {@link #failure} (an HTML page rather than JSON).
 */
public interface Extension {

    /** Its name, as {@code GET /admin/plugins} lists it. */
    String name();

    /** Whether the settings switch it on (e.g. {@code apimodels.console.enabled}); a disabled one is not installed. */
    default boolean enabled(Settings settings) {
        return true;
    }

    /** Where mailed sign-up and reset links land when it is installed; null keeps the JSON routes. */
    default MailLinks mailLinks() {
        return null;
    }

    /** Adds its routes, under a path prefix of its own, given the engine's services; called once, at start. */
    void install(Router router, Services services);

    /**
     * A class path resource (read with this extension's class loader) describing its routes for
     * {@code /openapi.json} in the format of core's fragments (docs/openapi.md); null when it has
     * none. Routes on paths it {@link #owns} are pages and are left out of the document anyway.
     */
    default String openApi() {
        return null;
    }

    /** True for the paths whose failures it answers itself (its own prefix, e.g. {@code /console/}). */
    default boolean owns(String path) {
        return false;
    }

    /**
     * The answer to a failure on a path it {@link #owns}: the failure is already mapped to a status,
     * a code and a message safe to show (never a stack trace or a library's text).
     */
    default Response failure(Exchange exchange, ApiException error) {
        throw new UnsupportedOperationException(name() + " owns no paths");
    }
}
