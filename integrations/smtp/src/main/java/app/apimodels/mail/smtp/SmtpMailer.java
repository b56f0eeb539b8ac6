package app.apimodels.mail.smtp;

import app.apimodels.spi.mail.MailMessage;
import app.apimodels.spi.mail.Mailer;
import app.apimodels.spi.mail.SendResult;
import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.MimeMessage;
import org.eclipse.angus.mail.smtp.SMTPAddressFailedException;
import org.eclipse.angus.mail.smtp.SMTPSendFailedException;
import org.eclipse.angus.mail.smtp.SMTPSenderFailedException;
import org.eclipse.angus.mail.util.MailConnectException;

import java.net.SocketTimeoutException;
import java.util.Properties;

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
    private final MimeWriter writer;

    SmtpMailer(SmtpSettings settings) {
        this.settings = settings;
        this.protocol = settings.ssl() ? "smtps" : "smtp";
        this.session = Session.getInstance(properties(settings, protocol));
        this.writer = new MimeWriter(session, settings.from(), settings.tagHeader());
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
        properties.putAll(MimeWriter.properties());
        return properties;
    }

    @Override
    public String type() {
        return "smtp";
    }

    @Override
    public SendResult send(MailMessage message) {
        MimeMessage mime = writer.write(message);
        try (Transport transport = session.getTransport(protocol)) {
            transport.connect(settings.host(), settings.port(), settings.username(), settings.password());
            transport.sendMessage(mime, mime.getAllRecipients());
            return SendResult.accepted(mime.getMessageID());
        } catch (MessagingException e) {
            return refusal(e);
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

}