package app.apimodels.payment.stripe;

import app.apimodels.spi.payment.PaymentGatewayConfig;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Arrays;
import java.util.List;

/**
 * The {@code apimodels.stripe.*} settings.
 *
 * @param secretKey      the account's secret (or restricted) API key, {@code sk_…} / {@code rk_…}
 * @param webhookSecrets the endpoint's signing secrets, {@code whsec_…}; several while one is rotated
 *                       (any one verifies); empty if none is configured, and then no webhook is believed
 * @param apiBase        where Stripe's API is, {@code https://api.stripe.com} unless a test points it elsewhere
 */
record StripeSettings(String secretKey, List<String> webhookSecrets, URI apiBase) {

    static final String SECRET_KEY = "secret-key";
    static final String WEBHOOK_SECRET = "webhook-secret";
    static final String API_BASE = "api-base";
    static final URI DEFAULT_API_BASE = URI.create("https://api.stripe.com");

    StripeSettings {
        webhookSecrets = List.copyOf(webhookSecrets);
    }

    static StripeSettings from(PaymentGatewayConfig config) {
        List<String> webhookSecrets = config.option(WEBHOOK_SECRET)
                .map(all -> Arrays.stream(all.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList())
                .orElse(List.of());
        return new StripeSettings(config.require(SECRET_KEY).strip(), webhookSecrets,
                config.option(API_BASE).map(StripeSettings::apiBase).orElse(DEFAULT_API_BASE));
    }

    private static URI apiBase(String value) {
        try {
            URI uri = new URI(value.strip().replaceAll("/+$", ""));
            if (!("https".equals(uri.getScheme()) || "http".equals(uri.getScheme())) || uri.getHost() == null
                    || uri.getRawQuery() != null || uri.getRawFragment() != null) {
                throw new URISyntaxException(value, "not an http(s) address without query");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("apimodels.stripe." + API_BASE + " must be an http(s) URL such as "
                    + DEFAULT_API_BASE + ", not '" + value + "'", e);
        }
    }

    /** Names what is configured, never a secret. */
    @Override
    public String toString() {
        return "StripeSettings[apiBase=" + apiBase + ", webhookSecrets=" + webhookSecrets.size() + "]";
    }
}
