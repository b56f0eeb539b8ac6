package app.apimodels.testkit;

import jakarta.mail.Address;
import jakarta.mail.BodyPart;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Reads a received MIME message into a {@link ReceivedMail}, for the inboxes that receive MIME. */
final class MimeMail {

    private MimeMail() {
    }

    static ReceivedMail read(MimeMessage message, List<String> deliveredTo) {
        try {
            String[] replyTo = message.getHeader("Reply-To");
            Bodies bodies = new Bodies();
            bodies.collect(message);
            return new ReceivedMail(address(message.getFrom()[0]), addresses(message.getRecipients(Message.RecipientType.TO)),
                    replyTo == null ? null : InternetAddress.parseHeader(replyTo[0], false)[0].getAddress(),
                    message.getSubject(), bodies.text, bodies.html, message.getMessageID(), deliveredTo);
        } catch (MessagingException | IOException e) {
            throw new AssertionError("a received message could not be read", e);
        }
    }

    static List<String> addresses(Address[] addresses) {
        List<String> result = new ArrayList<>();
        if (addresses != null) {
            for (Address address : addresses) {
                result.add(address(address));
            }
        }
        return result;
    }

    private static String address(Address address) {
        return address instanceof InternetAddress internet ? internet.getAddress() : address.toString();
    }

    /** The first text/plain and text/html parts, decoded from their transfer encoding and charset. */
    private static final class Bodies {
        String text;
        String html;

        void collect(Part part) throws MessagingException, IOException {
            if (part.isMimeType("multipart/*")) {
                Multipart multipart = (Multipart) part.getContent();
                for (int i = 0; i < multipart.getCount(); i++) {
                    BodyPart child = multipart.getBodyPart(i);
                    collect(child);
                }
            } else if (part.isMimeType("text/plain") && text == null) {
                text = (String) part.getContent();
            } else if (part.isMimeType("text/html") && html == null) {
                html = (String) part.getContent();
            }
        }
    }
}
