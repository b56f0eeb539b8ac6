package app.apimodels.core.tasks;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * When an upstream's result link stops working, read from the signing parameters of the URL:
 * AWS SigV4 ({@code X-Amz-Date} + {@code X-Amz-Expires}), Google V4 ({@code X-Goog-Date} +
 * {@code X-Goog-Expires}), Volcengine TOS ({@code X-Tos-Date} + {@code X-Tos-Expires}), Azure SAS
 * ({@code se}), and epoch-second {@code Expires} (S3 SigV2, CloudFront, OSS).
 */
final class LinkExpiry {

    private static final DateTimeFormatter COMPACT = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'");

    private LinkExpiry() {
    }

    static Optional<Instant> of(URI url) {
        String query = url.getRawQuery();
        if (query == null) {
            return Optional.empty();
        }
        Map<String, String> q = new HashMap<>();
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                try {
                    q.putIfAbsent(pair.substring(0, eq).toLowerCase(Locale.ROOT),
                            URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
                } catch (IllegalArgumentException ignored) {
                    // not a parameter we can read
                }
            }
        }
        for (String vendor : new String[] {"x-amz", "x-goog", "x-tos"}) {
            Optional<Instant> at = dated(q.get(vendor + "-date"), q.get(vendor + "-expires"));
            if (at.isPresent()) {
                return at;
            }
        }
        if (q.containsKey("se")) {
            try {
                return Optional.of(OffsetDateTime.parse(q.get("se")).toInstant());
            } catch (DateTimeParseException ignored) {
                // fall through
            }
        }
        try {
            if (q.containsKey("expires")) {
                long epoch = Long.parseLong(q.get("expires"));
                return Optional.of(Instant.ofEpochSecond(epoch));
            }
        } catch (NumberFormatException | java.time.DateTimeException ignored) {
            // fall through
        }
        return Optional.empty();
    }

    private static Optional<Instant> dated(String date, String expires) {
        if (date == null || expires == null) {
            return Optional.empty();
        }
        try {
            Instant signed = LocalDateTime.parse(date, COMPACT).toInstant(ZoneOffset.UTC);
            return Optional.of(signed.plusSeconds(Long.parseLong(expires)));
        } catch (DateTimeParseException | NumberFormatException e) {
            return Optional.empty();
        }
    }
}
