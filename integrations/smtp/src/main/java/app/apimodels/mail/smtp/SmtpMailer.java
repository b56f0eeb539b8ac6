package app.apimodels.mail.smtp;

import app.apimodels.spi.mail.MailMessage;
import app.apimodels.spi.mail.Mailer;
import app.apimodels.spi.mail.SendResult;
import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import org.eclipse.angus.mail.smtp.SMTPAddressFailedException;
import org.eclipse.angus.mail.smtp.SMTPSendFailedException;
import org.eclipse.angus.mail.smtp.SMTPSenderFailedException;
import org.eclipse.angus.mail.util.MailConnectException;

import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Properties;
import java.util.stream.Collectors;

/**
 * Sends each message over its own SMTP connection: mail is rare next to API calls, and a fresh
 * connection needs no pool, no keep-alive and no locking, so any number of threads may send.
 * Errors are described from the SMTP reply code only, never from the server's text, which may
 * repeat the login.
 */
final class SmtpMailer implements Mailer {

    private final SmtpSettings settings;
    private final Session session;
    private final String protocol;

    SmtpMailer(SmtpSettings settings) {
        this.settings = settings;
        this.protocol = settings.ssl() ? "smtps" : "smtp";
        this.session = Session.getInstance(properties(settings, protocol));
    }

    private static Properties properties(SmtpSettings settings, String protocol) {
        String p = "mail." + protocol + ".";
        String millis = Long.toString(settings.timeout().toMillis());
        Properties properties = new Properties();
        properties.put(p + "host", settings.host());
        properties.put(p + "port", Integer.toString(settings.port()));
        properties.put(p + "auth", Boolean.toString(settings.username() != null));
        properties.put(p + "connectiontimeout", millis);
        properties.put(p + "timeout", millis);
        properties.put(p + "writetimeout", millis);
        // Never log in (or send) in clear text when TLS was asked for: a server that does not
        // offer STARTTLS fails the send instead.
        properties.put(p + "starttls.enable", Boolean.toString(settings.starttls()));
        properties.put(p + "starttls.required", Boolean.toString(settings.starttls()));
        properties.put(p + "ssl.checkserveridentity", "true");
        // Non-ASCII subjects and bodies go out as UTF-8 (RFC 2047 words and quoted-printable/base64).
        properties.put("mail.mime.charset", "UTF-8");
        return properties;
    }

    @Override
    public String type() {
        return "smtp";
    }

    @Override
    public SendResult send(MailMessage message) {
        MimeMessage mime = mime(message);
        try (Transport transport = session.getTransport(protocol)) {
            transport.connect(settings.host(), settings.port(), settings.username(), settings.password());
            transport.sendMessage(mime, mime.getAllRecipients());
            return SendResult.accepted(mime.getMessageID());
        } catch (MessagingException e) {
            return refusal(e);
        }
    }

    /** The message in MIME form; what cannot be expressed (a malformed address) is the caller's mistake. */
    private MimeMessage mime(MailMessage message) {
        try {
            MimeMessage mime = new KeyedMessage(session, messageId(message));
            mime.setFrom(message.from() == null ? settings.from() : address("from", message.from()));
            for (String recipient : message.to()) {
                mime.addRecipient(Message.RecipientType.TO, address("to", recipient));
            }
            if (message.replyTo() != null) {
                mime.setReplyTo(new InternetAddress[]{address("replyTo", message.replyTo())});
            }
            mime.setSubject(message.subject(), "UTF-8");
            if (message.text() != null && message.html() != null) {
                MimeMultipart alternative = new MimeMultipart("alternative");
                alternative.addBodyPart(part(message.text(), "plain"));
                alternative.addBodyPart(part(message.html(), "html"));
                mime.setContent(alternative);
            } else if (message.text() != null) {
                mime.setText(message.text(), "UTF-8", "plain");
            } else {
                mime.setText(message.html(), "UTF-8", "html");
            }
            if (settings.tagHeader() != null && !message.tags().isEmpty()) {
                mime.setHeader(settings.tagHeader(), message.tags().entrySet().stream()
                        .map(tag -> tag.getKey() + "=" + tag.getValue()).collect(Collectors.joining(", ")));
            }
            mime.saveChanges();
            return mime;
        } catch (MessagingException e) {
            throw new IllegalArgumentException("the message cannot be written as MIME: " + e.getMessage(), e);
        }
    }

    private static MimeBodyPart part(String body, String subtype) throws MessagingException {
        MimeBodyPart part = new MimeBodyPart();
        part.setText(body, "UTF-8", subtype);
        return part;
    }

    private static InternetAddress address(String field, String address) {
        try {
            return new InternetAddress(address, true);
        } catch (AddressException e) {
            throw new IllegalArgumentException(field + " is not an email address: " + address, e);
        }
    }

    /**
     * With an idempotency key, the same Message-ID for every send of the message, so a receiver
     * that de-duplicates by Message-ID shows a retried message once; otherwise a fresh one.
     */
    private String messageId(MailMessage message) {
        if (message.idempotencyKey() == null) {
            return null;
        }
        String domain = settings.from().getAddress().substring(settings.from().getAddress().indexOf('@') + 1);
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(message.idempotencyKey().getBytes(StandardCharsets.UTF_8));
            return "<" + HexFormat.of().formatHex(hash, 0, 16) + ".apimodels@" + domain + ">";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /** What went wrong, from the SMTP reply code or the kind of failure only. */
    private SendResult refusal(MessagingException failure) {
        for (Throwable e = failure; e != null; e = nextOf(e)) {
            if (e instanceof AuthenticationFailedException) {
                return SendResult.refused("the SMTP server refused the login (apimodels.mail.username/password)", false);
            }
            if (e instanceof MailConnectException) {
                return SendResult.refused("could not connect to the SMTP server " + settings.host() + ":" + settings.port(), true);
            }
            if (e instanceof SocketTimeoutException) {
                return SendResult.refused("the SMTP server did not answer in time", true);
            }
            int code = replyCode(e);
            if (code > 0) {
                String what = e instanceof SMTPAddressFailedException ? "a recipient"
                        : e instanceof SMTPSenderFailedException ? "the sender" : "the message";
                return SendResult.refused("the SMTP server refused " + what + " (reply " + code + ")", code / 100 == 4);
            }
        }
        if (String.valueOf(failure.getMessage()).contains("STARTTLS")) {
            return SendResult.refused("the SMTP server does not offer STARTTLS, which apimodels.mail.starttls requires", false);
        }
        return SendResult.refused("sending through the SMTP server failed", true);
    }

    private static int replyCode(Throwable e) {
        if (e instanceof SMTPAddressFailedException address) {
            return address.getReturnCode();
        }
        if (e instanceof SMTPSendFailedException send) {
            return send.getReturnCode();
        }
        if (e instanceof SMTPSenderFailedException sender) {
            return sender.getReturnCode();
        }
        return -1;
    }

    /** A send failure keeps the per-address failures in its chain of next exceptions. */
    private static Throwable nextOf(Throwable e) {
        if (e instanceof MessagingException messaging && messaging.getNextException() != null) {
            return messaging.getNextException();
        }
        return e.getCause();
    }

    @Override
    public String toString() {
        return "SmtpMailer[" + settings + "]";
    }

    /** A MimeMessage whose Message-ID, when given, is not replaced on save. */
    private static final class KeyedMessage extends MimeMessage {
        private final String messageId;

        KeyedMessage(Session session, String messageId) {
            super(session);
            this.messageId = messageId;
        }

        @Override
        protected void updateMessageID() throws MessagingException {
            if (messageId == null) {
                super.updateMessageID();
            } else {
                setHeader("Message-ID", messageId);
            }
        }
    }
}
