package app.apimodels.core.media;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;

/**
 * Signed, expiring links to media: {@code /media/{id}?expires=<epoch s>&signature=<HMAC>}. Anyone
 * holding the link may read the file until it expires (that is how result URLs work for
 * browsers and upstreams); without a valid signature only the owner's API key opens it.
 * Expiry is rounded up to the hour so repeated requests hand out the same, cacheable link.
 */
public final class MediaLinks {

    private final SecretKeySpec key;
    private final Clock clock;
    private final Duration ttl;
    private final String publicUrl;

    /**
     * @param publicUrl {@code apimodels.public-url} (where clients and upstreams reach the mount),
     *                  or null to use the address each request came to
     */
    public MediaLinks(byte[] secret, Clock clock, Duration ttl, String publicUrl) {
        this.key = new SecretKeySpec(secret, "HmacSHA256");
        this.clock = clock;
        this.ttl = ttl;
        this.publicUrl = publicUrl == null ? null : publicUrl.replaceAll("/+$", "");
    }

    /** The base for absolute links: the configured public URL, else the request's. */
    public String base(String requestBase) {
        return publicUrl != null ? publicUrl : requestBase;
    }

    /** An absolute signed link to {@code id}. */
    public String url(String requestBase, String id) {
        return base(requestBase) + path(id);
    }

    /** The path and query of a link to {@code id}, valid for at least the configured time. */
    public String path(String id) {
        long expires = Math.floorDiv(clock.millis() / 1000 + ttl.toSeconds() + 3599, 3600) * 3600;
        return "/media/" + id + "?expires=" + expires + "&signature=" + sign(id, expires);
    }

    /** Whether the query parameters of a link are a valid, unexpired signature for {@code id}. */
    public boolean verify(String id, String expires, String signature) {
        if (expires == null || signature == null) {
            return false;
        }
        long at;
        try {
            at = Long.parseLong(expires);
        } catch (NumberFormatException e) {
            return false;
        }
        if (at * 1000 < clock.millis()) {
            return false;
        }
        return MessageDigest.isEqual(sign(id, at).getBytes(StandardCharsets.US_ASCII),
                signature.getBytes(StandardCharsets.US_ASCII));
    }

    /** Seconds until a link with this expiry stops working (for Cache-Control). */
    public long secondsLeft(String expires) {
        return Math.max(0, Long.parseLong(expires) - clock.millis() / 1000);
    }

    private String sign(String id, long expires) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            byte[] digest = mac.doFinal((id + "." + expires).getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
