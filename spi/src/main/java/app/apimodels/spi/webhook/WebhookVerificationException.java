package app.apimodels.spi.webhook;

/**
 * A webhook that cannot be trusted (bad or missing signature, too old, replayed) or cannot be
 * read. The engine answers 400/401 and ignores it; the message must not contain a secret.
 */
public class WebhookVerificationException extends RuntimeException {
    public WebhookVerificationException(String message) {
        super(message);
    }

    public WebhookVerificationException(String message, Throwable cause) {
        super(message, cause);
    }
}
