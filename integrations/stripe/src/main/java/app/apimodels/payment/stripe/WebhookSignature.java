package app.apimodels.payment.stripe;

import app.apimodels.spi.webhook.WebhookVerificationException;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Checks a {@code Stripe-Signature} header as Stripe documents it:
 * {@code t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + raw body)>[,v1=…]}. Stripe puts
 * one {@code v1} per signing secret of the endpoint while a secret is being rolled, and we may be
 * configured with several: any pair that matches verifies. A signature more than
 * {@link #TOLERANCE} from our clock is refused so a captured delivery cannot be replayed later.
 * Messages say what is wrong, never a secret or the expected signature.
 */
final class WebhookSignature {

    static final String HEADER = "Stripe-Signature";
    static final Duration TOLERANCE = Duration.ofSeconds(300);

    private final List<byte[]> secrets;
    private final Clock clock;

    WebhookSignature(List<String> secrets, Clock clock) {
        this.secrets = secrets.stream().map(s -> s.getBytes(StandardCharsets.UTF_8)).toList();
        this.clock = clock;
    }

    /** @throws WebhookVerificationException if the body was not signed by Stripe with one of our secrets, recently */
    void verify(String header, byte[] body) {
        if (secrets.isEmpty()) {
            throw new WebhookVerificationException("apimodels.stripe.webhook-secret is not configured, so no Stripe "
                    + "delivery can be verified");
        }
        if (header == null || header.isBlank()) {
            throw new WebhookVerificationException("no " + HEADER + " header");
        }
        String timestamp = null;
        List<byte[]> signatures = new ArrayList<>();
        for (String part : header.split(",")) {
            int eq = part.indexOf('=');
            String name = eq < 0 ? part.strip() : part.substring(0, eq).strip();
            String value = eq < 0 ? "" : part.substring(eq + 1).strip();
            if (name.equals("t")) {
                timestamp = value;
            } else if (name.equals("v1") && value.matches("[0-9a-fA-F]{64}")) {
                signatures.add(HexFormat.of().parseHex(value));
            }
        }
        if (timestamp == null || !timestamp.matches("\\d{1,12}")) {
            throw new WebhookVerificationException(HEADER + " has no valid timestamp (t=)");
        }
        if (signatures.isEmpty()) {
            throw new WebhookVerificationException(HEADER + " has no v1 signature (the only scheme Stripe signs live events with)");
        }
        Duration age = Duration.between(Instant.ofEpochSecond(Long.parseLong(timestamp)), clock.instant());
        if (age.abs().compareTo(TOLERANCE) > 0) {
            throw new WebhookVerificationException("the delivery was signed " + age.toSeconds() + " s from now, more than the "
                    + TOLERANCE.toSeconds() + " s tolerated: refused as a possible replay");
        }
        for (byte[] secret : secrets) {
            byte[] expected = hmac(secret, timestamp, body);
            for (byte[] given : signatures) {
                // constant time: how much of a guess matched must not show in how long the refusal takes
                if (MessageDigest.isEqual(expected, given)) {
                    return;
                }
            }
        }
        throw new WebhookVerificationException("the " + HEADER + " signature matches none of the configured webhook secrets "
                + "(a forged or altered delivery, or apimodels.stripe.webhook-secret is not this endpoint's)");
    }

    private static byte[] hmac(byte[] secret, String timestamp, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            mac.update((timestamp + ".").getBytes(StandardCharsets.US_ASCII));
            return mac.doFinal(body);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every Java runtime has HmacSHA256", e);
        }
    }
}
