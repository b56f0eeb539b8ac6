package app.apimodels.testkit;

import java.util.List;

/**
 * A message as it arrived at a {@link MailInbox}, decoded.
 *
 * @param from      the {@code From} address (without its display name)
 * @param to        the {@code To} addresses (without display names), in order
 * @param replyTo   the {@code Reply-To} address, or null
 * @param subject   the decoded subject
 * @param text      the plain-text body, or null
 * @param html      the HTML body, or null
 * @param messageId the {@code Message-ID} header (or the service's id), or null
 * @param deliveredTo the mailboxes that got the message (the SMTP envelope's recipients, or the
 *                  recipients the mail API was given), in any order
 */
public record ReceivedMail(String from, List<String> to, String replyTo, String subject, String text, String html,
                           String messageId, List<String> deliveredTo) {
    public ReceivedMail {
        to = List.copyOf(to);
        deliveredTo = List.copyOf(deliveredTo);
    }
}
