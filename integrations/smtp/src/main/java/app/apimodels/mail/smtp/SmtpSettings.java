package app.apimodels.mail.smtp;

import app.apimodels.spi.mail.MailerConfig;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;

import java.time.Duration;

/** The {@code apimodels.mail.*} settings of the SMTP mailer, checked. */
record SmtpSettings(String host, int port, String username, String password, boolean starttls, boolean ssl,
                    InternetAddress from, Duration timeout, String tagHeader) {

    static SmtpSettings from(MailerConfig config) {
        String host = config.require("host");
        boolean ssl = flag(config, "ssl", false);
        boolean starttls = flag(config, "starttls", !ssl);
        int port = whole(config, "port", ssl ? 465 : 587, 1, 65_535);
        String username = config.option("username").orElse(null);
        String password = config.option("password").orElse(null);
        if ((username == null) != (password == null)) {
            throw new IllegalArgumentException("apimodels.mail.username and apimodels.mail.password go together");
        }
        InternetAddress from;
        try {
            from = new InternetAddress(config.require("from"), true);
        } catch (AddressException e) {
            throw new IllegalArgumentException("apimodels.mail.from is not an email address", e);
        }
        Duration timeout = Duration.ofSeconds(whole(config, "timeout-seconds", 30, 1, 3_600));
        String tagHeader = config.option("tag-header").orElse(null);
        if (tagHeader != null && !tagHeader.matches("[A-Za-z0-9-]+")) {
            throw new IllegalArgumentException("apimodels.mail.tag-header must be a header name");
        }
        return new SmtpSettings(host, port, username, password, starttls, ssl, from, timeout, tagHeader);
    }

    private static boolean flag(MailerConfig config, String name, boolean fallback) {
        return config.option(name).map(value -> switch (value.strip().toLowerCase(java.util.Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("apimodels.mail." + name + " must be true or false");
        }).orElse(fallback);
    }

    private static int whole(MailerConfig config, String name, int fallback, int min, int max) {
        return config.option(name).map(value -> {
            try {
                int number = Integer.parseInt(value.strip());
                if (number >= min && number <= max) {
                    return number;
                }
            } catch (NumberFormatException ignored) {
                // reported below with the allowed range
            }
            throw new IllegalArgumentException("apimodels.mail." + name + " must be a whole number from " + min + " to " + max);
        }).orElse(fallback);
    }

    @Override
    public String toString() {
        return "SmtpSettings[" + host + ":" + port + ", user=" + username + ", starttls=" + starttls + ", ssl=" + ssl + "]";
    }
}
