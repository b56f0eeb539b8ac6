package app.apimodels.spi.payment;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * The HTTP answer a gateway expects once its webhook was verified and recorded; anything else
 * makes it deliver again. Stripe takes any 2xx; Alipay wants the plain text {@code success}
 * ({@link #text(String) text("success")}).
 *
 * @param status      a 2xx status
 * @param contentType the body's media type, or null without a body
 * @param body        the exact bytes to answer, possibly empty
 */
public record WebhookAcknowledgement(int status, String contentType, byte[] body) {

    /** {@code 200} with an empty body: what most gateways accept. */
    public static final WebhookAcknowledgement OK = new WebhookAcknowledgement(200, null, new byte[0]);

    public WebhookAcknowledgement {
        if (status / 100 != 2) {
            throw new IllegalArgumentException("an acknowledgement is a 2xx answer, not " + status);
        }
        body = Objects.requireNonNull(body, "body").clone();
    }

    /** {@code 200} with {@code text} as {@code text/plain; charset=utf-8}. */
    public static WebhookAcknowledgement text(String text) {
        return new WebhookAcknowledgement(200, "text/plain; charset=utf-8", text.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public byte[] body() {
        return body.clone();
    }
}
