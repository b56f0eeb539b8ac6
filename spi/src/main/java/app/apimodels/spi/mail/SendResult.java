package app.apimodels.spi.mail;

/**
 * What the mail service said to one message.
 *
 * @param accepted          whether it took the message for delivery (not whether it reached the inbox)
 * @param providerMessageId the service's id for the message (the SMTP {@code Message-ID}, Resend's
 *                          id), when accepted
 * @param error             why it was not accepted, naming no secret; null when accepted
 * @param retryable         for a message not accepted: whether sending it again later may work
 *                          (server unreachable, throttled, 4xx) or not (credentials refused,
 *                          recipient rejected)
 */
public record SendResult(boolean accepted, String providerMessageId, String error, boolean retryable) {
    public SendResult {
        if (accepted == (error != null)) {
            throw new IllegalArgumentException("an accepted message has no error; a refused one has one");
        }
        if (accepted && retryable) {
            throw new IllegalArgumentException("an accepted message is not retried");
        }
    }

    public static SendResult accepted(String providerMessageId) {
        return new SendResult(true, providerMessageId, null, false);
    }

    public static SendResult refused(String error, boolean retryable) {
        return new SendResult(false, null, error, retryable);
    }
}
