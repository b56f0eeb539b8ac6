package app.apimodels.spi.mail;

/**
 * Sends mail (account verification, password resets, receipts, policy notices) through an SMTP
 * server or a mail API such as Resend. Methods block and may be called from many threads at once.
 * Created by a {@link MailerFactory}.
 */
public interface Mailer extends AutoCloseable {

    /** The configuration name, e.g. {@code smtp} or {@code resend}. */
    String type();

    /**
     * Hands one message to the mail service. Never throws for a failure to deliver (a refused
     * login, a rejected recipient, an unreachable server): that is a result with
     * {@code accepted == false}, whose error names no secret.
     *
     * @throws IllegalArgumentException only if the message itself cannot be sent by this mailer
     */
    SendResult send(MailMessage message);

    @Override
    default void close() {
    }
}
