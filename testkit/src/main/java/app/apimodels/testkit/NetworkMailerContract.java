package app.apimodels.testkit;

import app.apimodels.spi.mail.MailMessage;
import app.apimodels.spi.mail.Mailer;
import app.apimodels.spi.mail.SendResult;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@link MailerContract} for mailers that hand messages to a mail service over the network
 * (SMTP, a mail API): on top of it, a refused login or an unreachable server is a result with
 * {@code accepted == false} and an error naming no secret, never an exception.
 */
public abstract class NetworkMailerContract extends MailerContract {

    /** The same kind of mailer, configured with credentials the server refuses. */
    protected abstract Mailer mailerWithWrongCredentials();

    /** The same kind of mailer, pointed at a server that does not answer (a closed port). */
    protected abstract Mailer mailerForUnreachableServer();

    @Test
    void refusedCredentialsAreARefusalNotAnException() {
        SendResult result = mailerWithWrongCredentials().send(MailMessage.text("frank@example.test", "Hi", "Hello"));

        assertThat(result.accepted()).isFalse();
        assertThat(result.retryable()).as("wrong credentials stay wrong").isFalse();
        assertThat(result.error()).isNotBlank();
        assertNoSecretIn(result.error());
    }

    @Test
    void anUnreachableServerIsARefusalWorthRetrying() {
        SendResult result = mailerForUnreachableServer().send(MailMessage.text("grace@example.test", "Hi", "Hello"));

        assertThat(result.accepted()).isFalse();
        assertThat(result.retryable()).isTrue();
        assertThat(result.error()).isNotBlank();
        assertNoSecretIn(result.error());
    }

}
