package app.apimodels.provider.fal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * fal's webhook signing keys, read from its JWKS (Ed25519 keys as OKP JWKs with the raw key in
 * {@code x}). They are fetched again once older than {@link #MAX_AGE} (fal allows caching them a
 * day), or when a signature matches none of them, in case keys rotated; at most once a minute, and
 * the keys known so far stay in use until new ones arrive. Nothing here waits for the network:
 * until keys are known, none are offered.
 */
final class SigningKeys {

    static final Duration MAX_AGE = Duration.ofHours(12);
    private static final Duration REFETCH_INTERVAL = Duration.ofMinutes(1);
    /** DER prefix of an X.509 SubjectPublicKeyInfo for Ed25519, before the 32 raw key bytes. */
    private static final byte[] ED25519_X509_PREFIX = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};

    private final Supplier<CompletableFuture<byte[]>> fetchJwks;
    private final ObjectMapper mapper;
    private final Clock clock;
    private volatile List<PublicKey> keys = List.of();
    private volatile Instant fetchedAt;
    private CompletableFuture<Void> fetching;
    private Instant lastAttempt;

    SigningKeys(Supplier<CompletableFuture<byte[]>> fetchJwks, ObjectMapper mapper, Clock clock) {
        this.fetchJwks = fetchJwks;
        this.mapper = mapper;
        this.clock = clock;
    }

    /** Completes (never exceptionally) once keys are known or an attempt to fetch them has ended. */
    CompletableFuture<Void> ready() {
        return keys.isEmpty() ? refresh() : CompletableFuture.completedFuture(null);
    }

    /** The keys known now (possibly none); starts a refresh in the background if they are stale or missing. */
    List<PublicKey> current() {
        Instant fetched = fetchedAt;
        if (fetched == null || clock.instant().isAfter(fetched.plus(MAX_AGE))) {
            refresh();
        }
        return keys;
    }

    /** A signature matched no key: fetch again, unless that was just tried. */
    void mismatch() {
        refresh();
    }

    private synchronized CompletableFuture<Void> refresh() {
        if (fetching != null && !fetching.isDone()) {
            return fetching;
        }
        Instant now = clock.instant();
        if (lastAttempt != null && now.isBefore(lastAttempt.plus(REFETCH_INTERVAL))) {
            return CompletableFuture.completedFuture(null);
        }
        lastAttempt = now;
        CompletableFuture<byte[]> jwks;
        try {
            jwks = fetchJwks.get();
        } catch (RuntimeException e) {
            jwks = CompletableFuture.failedFuture(e);
        }
        // A failed fetch keeps the keys known so far; without any, webhooks are refused and fal retries them.
        fetching = jwks.handle((body, failure) -> {
            if (failure == null) {
                List<PublicKey> parsed = parse(body);
                if (!parsed.isEmpty()) {
                    keys = parsed;
                    fetchedAt = now;
                }
            }
            return null;
        });
        return fetching;
    }

    private List<PublicKey> parse(byte[] body) {
        List<PublicKey> parsed = new ArrayList<>();
        try {
            JsonNode jwks = mapper.readTree(body);
            for (JsonNode jwk : jwks.path("keys")) {
                if (jwk.path("kty").asText().equals("OKP") && jwk.path("crv").asText().equals("Ed25519") && jwk.path("x").isTextual()) {
                    PublicKey key = ed25519(jwk.get("x").asText());
                    if (key != null) {
                        parsed.add(key);
                    }
                }
            }
        } catch (IOException e) {
            return List.of();
        }
        return parsed;
    }

    private static PublicKey ed25519(String x) {
        try {
            // fal's JWKS has been seen padding x; the decoder takes it either way once stripped.
            byte[] raw = Base64.getUrlDecoder().decode(x.replace("=", ""));
            if (raw.length != 32) {
                return null;
            }
            byte[] der = new byte[ED25519_X509_PREFIX.length + raw.length];
            System.arraycopy(ED25519_X509_PREFIX, 0, der, 0, ED25519_X509_PREFIX.length);
            System.arraycopy(raw, 0, der, ED25519_X509_PREFIX.length, raw.length);
            return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(der));
        } catch (IllegalArgumentException | GeneralSecurityException e) {
            return null;
        }
    }
}
