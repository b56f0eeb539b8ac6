package app.apimodels.mail.smtp;

import app.apimodels.spi.mail.MailMessage;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Writes a {@link MailMessage} as an RFC 5322 / MIME message: text and HTML as
 * {@code multipart/alternative}, UTF-8 throughout (RFC 2047 words in headers). One form for every
 * mailer of this module, so the {@code .eml} outbox holds exactly what SMTP would send.
 */
final class MimeWriter {

    private final Session session;
    private final InternetAddress from;
    private final String tagHeader;

    /**
     * @param from      the sender of messages that name none
     * @param tagHeader the header carrying the message's tags, or null for none
     */
    MimeWriter(Session session, InternetAddress from, String tagHeader) {
        this.session = session;
        this.from = from;
        this.tagHeader = tagHeader;
    }

    /** Session properties: non-ASCII subjects and bodies go out as UTF-8 (RFC 2047 words and quoted-printable/base64). */
    static Map<String, String> properties() {
        return Map.of("mail.mime.charset", "UTF-8");
    }

    /** The message in MIME form; what cannot be expressed (a malformed address) is the caller's mistake. */
    MimeMessage write(MailMessage message) {
        try {
            MimeMessage mime = new KeyedMessage(session, messageId(message));
            mime.setFrom(message.from() == null ? from : address("from", message.from()));
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
            if (tagHeader != null && !message.tags().isEmpty()) {
                mime.setHeader(tagHeader, message.tags().entrySet().stream()
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

    static InternetAddress address(String field, String address) {
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
        String domain = from.getAddress().substring(from.getAddress().indexOf('@') + 1);
        return "<" + keyHash(message.idempotencyKey()) + ".apimodels@" + domain + ">";
    }

    /** 32 hex digits of the key's SHA-256: stable, and safe in a header or a file name whatever the key holds. */
    static String keyHash(String key) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
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
