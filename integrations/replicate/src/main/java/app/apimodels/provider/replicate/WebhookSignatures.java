package app.apimodels.provider.replicate;

import app.apimodels.spi.webhook.InboundWebhook;
import app.apimodels.spi.webhook.WebhookVerificationException;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Checks Replicate's webhook signatures, which follow Standard Webhooks: {@code webhook-signature}
 * holds space-separated {@code v1,<base64>} HMAC-SHA256 signatures of
 * {@code "<webhook-id>.<webhook-timestamp>.<body>"}, keyed with the base64 part of the account's
 * {@code whsec_} secret. The secret is configured, or fetched from the API and kept; it is fetched
 * again (at most once a minute) when a signature does not match, in case it was rotated. Nothing
 * here waits for the network: a webhook arriving before the secret is known is refused, and
 * Replicate retries it.
 */
final class WebhookSignatures {

    /** Standard Webhooks' replay window, in either direction. */
    static final Duration TOLERANCE = Duration.ofMinutes(5);
    private static final Duration REFETCH_INTERVAL = Duration.ofMinutes(1);
    private static final String PREFIX = "whsec_";

    private final byte[] configuredKey;
    private final Supplier<CompletableFuture<String>> fetchSecret;
    private final Clock clock;
    private volatile byte[] fetchedKey;
    private CompletableFuture<Void> fetching;
    private Instant lastFetch;

    /**
     * @param configuredSecret the {@code whsec_} secret from the catalog, or null to fetch it
     * @throws IllegalArgumentException if the configured secret is not base64 (the message does
     *                                  not repeat it)
     */
    WebhookSignatures(String configuredSecret, Supplier<CompletableFuture<String>> fetchSecret, Clock clock) {
        this.configuredKey = configuredSecret == null || configuredSecret.isBlank() ? null : key(configuredSecret);
        this.fetchSecret = fetchSecret;
        this.clock = clock;
    }

    /** Completes (never exceptionally) once the secret is known or an attempt to fetch it has ended. */
    CompletableFuture<Void> ready() {
        return configuredKey != null || fetchedKey != null ? CompletableFuture.completedFuture(null) : refresh();
    }

    /** @throws WebhookVerificationException unless the webhook is signed with the account's secret, recently */
    void verify(InboundWebhook webhook) {
        String id = header(webhook, "webhook-id");
        String timestamp = header(webhook, "webhook-timestamp");
        String signatures = header(webhook, "webhook-signature");
        Instant signedAt;
        try {
            signedAt = Instant.ofEpochSecond(Long.parseLong(timestamp.strip()));
        } catch (RuntimeException e) {
            throw new WebhookVerificationException("webhook-timestamp is not a Unix time");
        }
        if (Duration.between(signedAt, clock.instant()).abs().compareTo(TOLERANCE) > 0) {
            throw new WebhookVerificationException("webhook timestamp is more than " + TOLERANCE.toMinutes()
                    + " minutes from now; refusing a possible replay");
        }
        byte[] key = configuredKey != null ? configuredKey : fetchedKey;
        if (key == null) {
            refresh();
            throw new WebhookVerificationException("the webhook signing secret is not loaded yet");
        }
        byte[] expected = sign(key, id + "." + timestamp + ".", webhook.body());
        for (String entry : signatures.strip().split("\\s+")) {
            if (entry.startsWith("v1,") && MessageDigest.isEqual(expected, decode(entry.substring(3)))) {
                return;
            }
        }
        if (configuredKey == null) {
            refresh();
        }
        throw new WebhookVerificationException("webhook signature does not match");
    }

    private synchronized CompletableFuture<Void> refresh() {
        if (fetching != null && !fetching.isDone()) {
            return fetching;
        }
        Instant now = clock.instant();
        if (lastFetch != null && now.isBefore(lastFetch.plus(REFETCH_INTERVAL))) {
            return CompletableFuture.completedFuture(null);
        }
        lastFetch = now;
        CompletableFuture<String> secret;
        try {
            secret = fetchSecret.get();
        } catch (RuntimeException e) {
            secret = CompletableFuture.failedFuture(e);
        }
        // A failed fetch leaves webhooks refused until the next attempt; polling still completes tasks.
        fetching = secret.handle((value, failure) -> {
            if (failure == null && value != null) {
                try {
                    fetchedKey = key(value);
                } catch (IllegalArgumentException e) {
                    // not a secret we can use: keep refusing
                }
            }
            return null;
        });
        return fetching;
    }

    private static byte[] key(String secret) {
        String encoded = secret.strip();
        if (encoded.startsWith(PREFIX)) {
            encoded = encoded.substring(PREFIX.length());
        }
        byte[] key;
        try {
            key = Base64.getDecoder().decode(encoded);
        } catch (IllegalArgumentException e) {
            key = new byte[0];
        }
        if (key.length == 0) {
            throw new IllegalArgumentException("the webhook secret is not a whsec_ secret (base64 after the prefix)");
        }
        return key;
    }

    private static byte[] sign(byte[] key, String prefix, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update(prefix.getBytes(StandardCharsets.UTF_8));
            return mac.doFinal(body);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is unavailable", e);
        }
    }

    private static byte[] decode(String base64) {
        try {
            return Base64.getDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            return new byte[0];
        }
    }

    private static String header(InboundWebhook webhook, String name) {
        String value = webhook.header(name);
        if (value == null || value.isBlank()) {
            throw new WebhookVerificationException("webhook lacks the " + name + " header");
        }
        return value;
    }
}
