package app.apimodels.mail.smtp;

import app.apimodels.spi.mail.Mailer;
import app.apimodels.spi.mail.MailerConfig;
import app.apimodels.spi.mail.MailerFactory;

/**
 * The {@code smtp} mailer type ({@code apimodels.mail.type=smtp}): mail through any SMTP server or
 * relay (a mail provider's SMTP endpoint, Amazon SES, Postfix…). Settings, as
 * {@code apimodels.mail.<name>}: {@code host} (required), {@code port} (587, or 465 with
 * {@code ssl}), {@code username} and {@code password} (log in when given), {@code starttls}
 * (default {@code true}: the connection must be upgraded to TLS before logging in, or nothing is
 * sent), {@code ssl} (default {@code false}: TLS from the first byte, SMTPS), {@code from} (the
 * default sender, required), {@code timeout-seconds} (connect, read and write; default 30) and
 * {@code tag-header} (a header to carry the message's tags as {@code name=value, …}, e.g.
 * {@code X-SES-MESSAGE-TAGS}; none by default).
 */
public final class SmtpMailerFactory implements MailerFactory {

    @Override
    public String type() {
        return "smtp";
    }

    @Override
    public Mailer create(MailerConfig config) {
        return new SmtpMailer(SmtpSettings.from(config));
    }
}
