package app.apimodels.spi.http;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Optional;

/**
 * Reads how long an upstream asks to be left alone: {@code retry-after-ms} (OpenAI's and Azure's
 * milliseconds) first, else {@code Retry-After} as delay-seconds or an HTTP date (RFC 9110 §10.2.3).
 * Anything unreadable, negative or in the past counts as not said.
 */
public final class RetryAfter {

    private RetryAfter() {
    }

    /** @param headers response headers with lower-case names */
    public static Optional<Duration> from(Map<String, String> headers) {
        if (headers == null) {
            return Optional.empty();
        }
        String millis = headers.get("retry-after-ms");
        if (millis != null) {
            try {
                double ms = Double.parseDouble(millis.trim());
                if (ms > 0 && ms < Long.MAX_VALUE) {
                    return Optional.of(Duration.ofMillis((long) Math.ceil(ms)));
                }
            } catch (NumberFormatException e) {
                // fall back to Retry-After
            }
        }
        return parse(headers.get("retry-after"), Instant.now());
    }

    /** {@code value} as delay-seconds or an HTTP date, measured from {@code now}. */
    public static Optional<Duration> parse(String value, Instant now) {
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        String v = value.trim();
        if (v.chars().allMatch(Character::isDigit)) {
            if (v.length() > 9) {
                return Optional.empty();
            }
            long seconds = Long.parseLong(v);
            return seconds > 0 ? Optional.of(Duration.ofSeconds(seconds)) : Optional.empty();
        }
        try {
            Instant at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
            Duration wait = Duration.between(now, at);
            return wait.isNegative() || wait.isZero() ? Optional.empty() : Optional.of(wait);
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
