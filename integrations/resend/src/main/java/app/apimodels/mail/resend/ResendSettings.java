package app.apimodels.mail.resend;

import app.apimodels.spi.mail.MailerConfig;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;

/**
 * The settings of the Resend mailer, checked: {@code apimodels.resend.api-key} (required),
 * {@code apimodels.resend.api-base} (default {@code https://api.resend.com}),
 * {@code apimodels.mail.from} (required: Resend sends only from a verified domain) and
 * {@code apimodels.mail.timeout-seconds} (default 30, as for smtp).
 */
record ResendSettings(String apiKey, URI apiBase, String from, Duration timeout) {

    static final URI DEFAULT_API_BASE = URI.create("https://api.resend.com");

    static ResendSettings from(MailerConfig config) {
        String apiKey = config.option("api-key").orElseThrow(() ->
                new IllegalArgumentException("apimodels.resend.api-key is required for mail type resend"));
        String from = config.option("from").orElseThrow(() ->
                new IllegalArgumentException("apimodels.mail.from is required for mail type resend (an address of a domain verified at Resend)"));
        if (from.indexOf('\r') >= 0 || from.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("apimodels.mail.from must be one line");
        }
        URI apiBase = config.option("api-base").map(ResendSettings::url).orElse(DEFAULT_API_BASE);
        Duration timeout = Duration.ofSeconds(config.option("timeout-seconds").map(ResendSettings::seconds).orElse(30));
        return new ResendSettings(apiKey, apiBase, from, timeout);
    }

    private static URI url(String value) {
        try {
            URI uri = new URI(value.strip());
            if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null) {
                return uri;
            }
        } catch (URISyntaxException ignored) {
            // reported below
        }
        throw new IllegalArgumentException("apimodels.resend.api-base must be an absolute http or https URL");
    }

    private static int seconds(String value) {
        try {
            int seconds = Integer.parseInt(value.strip());
            if (seconds >= 1 && seconds <= 600) {
                return seconds;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException("apimodels.mail.timeout-seconds must be a whole number from 1 to 600");
    }

    /** {@code POST /emails} under the base, whether or not it ends in a slash. */
    URI emails() {
        String base = apiBase.toString();
        return URI.create((base.endsWith("/") ? base : base + "/") + "emails");
    }

    @Override
    public String toString() {
        return "ResendSettings[" + apiBase + ", from=" + from + ", timeout=" + timeout + "]";
    }
}
