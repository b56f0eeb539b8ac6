package app.apimodels.core.web;

import app.apimodels.spi.web.Response;
import app.apimodels.spi.web.Exchange;
import app.apimodels.core.auth.Caller;

import java.util.Map;

/**
 * A routed request: the exchange, its path parameters and who is calling.
 *
 * @param caller null on public routes
 */
public record Request(Exchange exchange, Map<String, String> params, Caller caller) {

    public String param(String name) {
        return params.get(name);
    }

    /** A path parameter that must be a positive id; 404 otherwise (ids leak nothing). */
    public long id(String name) {
        try {
            long id = Long.parseLong(params.get(name));
            if (id > 0) {
                return id;
            }
        } catch (NumberFormatException ignored) {
            // fall through
        }
        throw ApiException.notFound(name);
    }

    public Map<String, Object> jsonBody() {
        return Json.object(exchange.body());
    }

    /** The JSON object body with its bytes, and where the string value of its top-level member {@code spanned} lies in them. */
    public Json.Document jsonDocument(String spanned) {
        return Json.document(exchange.body(), spanned);
    }

    public void json(int status, Object body) {
        exchange.respond(new Response(status, "application/json", Json.bytes(body)));
    }
}
