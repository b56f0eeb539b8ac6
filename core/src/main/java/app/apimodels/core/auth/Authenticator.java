package app.apimodels.core.auth;

import app.apimodels.core.keys.ApiKeys;
import app.apimodels.spi.web.Exchange;

/**
 * Who is calling: the API key from {@code Authorization: Bearer …} or {@code x-api-key}, checked
 * against the stored keys. A missing, unknown, revoked or expired key is refused by {@link ApiKeys#authenticate}.
 */
public final class Authenticator {

    private final ApiKeys keys;

    public Authenticator(ApiKeys keys) {
        this.keys = keys;
    }

    public Caller caller(Exchange exchange) {
        String auth = exchange.header("Authorization");
        String secret = null;
        if (auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            secret = auth.substring(7).trim();
        } else if (exchange.header("x-api-key") != null) {
            secret = exchange.header("x-api-key").trim();
        }
        return new Caller(keys.authenticate(secret));
    }
}
