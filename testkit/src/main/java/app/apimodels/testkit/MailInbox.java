package app.apimodels.testkit;

import java.util.List;

/**
 * Where the mailer under test delivers in a {@link MailerContract}: a real SMTP server in the JVM
 * ({@link GreenMailInbox}) or, for a mail API, the implementation's fake of that API.
 */
public interface MailInbox {

    /**
     * Waits until {@code count} messages have arrived since the last {@link #clear()} and returns
     * them, oldest first; a message to several recipients counts once. Fails after a deadline.
     */
    List<ReceivedMail> awaitMessages(int count);

    /** Forgets the messages received so far. */
    void clear();
}
