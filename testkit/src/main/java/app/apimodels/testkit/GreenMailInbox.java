package app.apimodels.testkit;

import com.icegreen.greenmail.configuration.GreenMailConfiguration;
import com.icegreen.greenmail.user.GreenMailUser;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import jakarta.mail.MessagingException;
import jakarta.mail.internet.MimeMessage;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real SMTP server in the JVM (GreenMail) on a free port of {@code 127.0.0.1}, requiring a
 * login: the {@link MailInbox} for mailers that speak SMTP. Point the mailer at {@link #host()},
 * {@link #port()}, {@link #username()} and {@link #password()}; a wrong password is refused
 * ({@code 535}), which makes it the refusing server of {@link MailerContract} too.
 */
public final class GreenMailInbox implements MailInbox, AutoCloseable {

    private final GreenMail server;
    private final String username;
    private final String password;

    /** Starts the server with one account that may log in. */
    public GreenMailInbox(String username, String password) {
        this.username = username;
        this.password = password;
        server = new GreenMail(new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_SMTP).dynamicPort())
                .withConfiguration(GreenMailConfiguration.aConfig().withUser(username + "@mail.test", username, password));
        server.start();
    }

    public String host() {
        return "127.0.0.1";
    }

    public int port() {
        return server.getSmtp().getPort();
    }

    public String username() {
        return username;
    }

    public String password() {
        return password;
    }

    @Override
    public List<ReceivedMail> awaitMessages(int count) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Conditions.WAIT_SECONDS);
        while (true) {
            MimeMessage[] copies = server.getReceivedMessages();
            List<ReceivedMail> messages = distinct(copies);
            if (messages.size() >= count) {
                return messages;
            }
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            // Wakes as soon as another copy arrives: no blind sleep.
            if (left <= 0 || !server.waitForIncomingEmail(left, copies.length + 1)) {
                throw new AssertionError("expected " + count + " messages within " + Conditions.WAIT_SECONDS
                        + " s, received " + distinct(server.getReceivedMessages()).size());
            }
        }
    }

    /** The copies received so far as GreenMail stored them, one per recipient, for checks of headers and encoding. */
    public List<MimeMessage> receivedCopies() {
        return List.of(server.getReceivedMessages());
    }

    @Override
    public void clear() {
        try {
            server.purgeEmailFromAllMailboxes();
        } catch (Exception e) {
            throw new IllegalStateException("could not empty the mailboxes", e);
        }
    }

    @Override
    public void close() {
        server.stop();
    }

    /** GreenMail files a copy in each recipient's mailbox; one Message-ID is one message. */
    private List<ReceivedMail> distinct(MimeMessage[] copies) {
        Map<String, List<String>> mailboxes = new LinkedHashMap<>();
        for (GreenMailUser user : server.getUserManager().listUser()) {
            server.findReceivedMessages(user::equals, message -> true).forEach(message ->
                    mailboxes.computeIfAbsent(messageId(message), id -> new ArrayList<>()).add(user.getEmail()));
        }
        Map<String, ReceivedMail> byId = new LinkedHashMap<>();
        for (MimeMessage copy : copies) {
            String id = messageId(copy);
            byId.computeIfAbsent(id, key -> MimeMail.read(copy, mailboxes.getOrDefault(key, List.of())));
        }
        return new ArrayList<>(byId.values());
    }

    private static String messageId(MimeMessage message) {
        try {
            String id = message.getMessageID();
            return id == null ? "no-id-" + System.identityHashCode(message) : id;
        } catch (MessagingException e) {
            throw new AssertionError("a received message could not be read", e);
        }
    }
}
