package app.apimodels.console.operators;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** How operators' pages write money and times, and read money typed into a form: exact, in UTC. */
public final class Show {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);

    private Show() {
    }

    /** Micros as credits, every digit kept ({@code 1500000} → {@code 1.5}). */
    public static String credits(long micros) {
        BigDecimal d = BigDecimal.valueOf(micros, 6).stripTrailingZeros();
        return (d.scale() < 0 ? d.setScale(0) : d).toPlainString();
    }

    public static String credits(Long micros) {
        return micros == null ? "" : credits(micros.longValue());
    }

    /** Epoch millis as a UTC time; empty for none. */
    public static String time(Long millis) {
        return millis == null ? "" : TIME.format(Instant.ofEpochMilli(millis));
    }

    public static String time(Instant at) {
        return at == null ? "" : TIME.format(at);
    }

    /**
     * Credits as typed ({@code 5}, {@code 0.25}) → micros; null when blank. A value that is not a
     * positive amount with at most six decimals is refused, naming {@code field}.
     */
    static Long micros(String typed, String field) {
        if (typed == null || typed.isBlank()) {
            return null;
        }
        try {
            BigDecimal credits = new BigDecimal(typed.strip());
            if (credits.signum() <= 0 || typed.strip().length() > 30) {
                throw new NumberFormatException();
            }
            return credits.movePointRight(6).longValueExact();
        } catch (NumberFormatException | ArithmeticException e) {
            throw app.apimodels.core.failure.Failure.invalid(field, field + " must be a positive number of credits with at most six decimals");
        }
    }

    /** A date typed as {@code yyyy-mm-dd} → the epoch millis of its start (UTC); null when blank. */
    static Long day(String typed, String field) {
        if (typed == null || typed.isBlank()) {
            return null;
        }
        try {
            return LocalDate.parse(typed.strip()).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
        } catch (java.time.format.DateTimeParseException e) {
            throw app.apimodels.core.failure.Failure.invalid(field, field + " must be a date (yyyy-mm-dd)");
        }
    }

    /** Epoch millis → {@code yyyy-mm-dd} (UTC), for a date field's value. */
    public static String date(long millis) {
        return Instant.ofEpochMilli(millis).atZone(ZoneOffset.UTC).toLocalDate().toString();
    }
}
