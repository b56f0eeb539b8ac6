package app.apimodels.mail.resend;

import app.apimodels.spi.mail.Mailer;
import app.apimodels.spi.mail.MailerConfig;
import app.apimodels.spi.mail.MailerFactory;

/**
 * The {@code resend} mailer type ({@code apimodels.mail.type=resend}): mail through Resend's API.
 * Settings: {@code apimodels.resend.api-key} (required), {@code apimodels.resend.api-base}
 * (default {@code https://api.resend.com}), {@code apimodels.mail.timeout-seconds} (default 30)
 * and {@code apimodels.mail.from} (required).
 */
public final class ResendMailerFactory implements MailerFactory {

    @Override
    public String type() {
        return "resend";
    }

    @Override
    public Mailer create(MailerConfig config) {
        return new ResendMailer(ResendSettings.from(config));
    }
}
