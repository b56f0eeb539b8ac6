package app.apimodels.spi.mail;

import java.util.Map;
import java.util.Optional;

/**
 * The settings of the mailer: every {@code apimodels.<type>.*} and {@code apimodels.mail.*}
 * configuration key, with that prefix removed ({@code apimodels.mail.host} → {@code host},
 * {@code apimodels.resend.api-key} → {@code api-key}; the second wins on a clash).
 * {@code from} is the default sender.
 *
 * @param type    the {@link MailerFactory#type()} chosen by {@code apimodels.mail.type}
 * @param options the settings; secrets among them are never logged
 */
public record MailerConfig(String type, Map<String, String> options) {
    public MailerConfig {
        options = Map.copyOf(options);
    }

    public Optional<String> option(String name) {
        return Optional.ofNullable(options.get(name)).filter(v -> !v.isBlank());
    }

    /** A required setting; the exception names the full configuration key. */
    public String require(String name) {
        return option(name).orElseThrow(() -> new IllegalArgumentException(
                "apimodels.mail." + name + " is required for mailer type " + type));
    }

    @Override
    public String toString() {
        return "MailerConfig[type=" + type + ", keys=" + options.keySet() + "]";
    }
}
