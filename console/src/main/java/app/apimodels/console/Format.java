package app.apimodels.console;

import app.apimodels.core.web.ApiException;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** How the people's pages write money and times: credits from exact micros, times in UTC. */
public final class Format {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter DAY = DateTimeFormatter.ISO_LOCAL_DATE.withZone(ZoneOffset.UTC);

    private Format() {
    }

    /** {@code 1234500} micros → {@code "1.2345"}: every significant micro, at least two decimals. */
    public static String credits(long micros) {
        BigDecimal credits = BigDecimal.valueOf(micros, 6).stripTrailingZeros();
        return credits.scale() < 2 ? credits.setScale(2).toPlainString() : credits.toPlainString();
    }

    /** Credits for a nullable amount ({@code "—"} when there is none). */
    public static String credits(Long micros) {
        return micros == null ? "—" : credits(micros.longValue());
    }

    /** Epoch ms → {@code 2026-12-05 04:30 UTC}; {@code "—"} for none. */
    public static String time(Long epochMillis) {
        return epochMillis == null ? "—" : TIME.format(Instant.ofEpochMilli(epochMillis)) + " UTC";
    }

    /** Epoch ms → {@code 2026-12-05} (UTC), as a date input takes it. */
    public static String day(long epochMillis) {
        return DAY.format(Instant.ofEpochMilli(epochMillis));
    }

    /** A gateway's minor units with its currency: {@code 500, "USD"} → {@code "5.00 USD"}. */
    public static String minor(long amountMinor, String currency) {
        return BigDecimal.valueOf(amountMinor, 2).toPlainString() + " " + currency;
    }

    /**
     * Credits typed in a form ({@code "5"}, {@code "0.25"}) → micros; empty for none. At most six
     * decimals and 10^9 credits; anything else is a 400 naming {@code field}.
     */
    public static Long micros(String field, String typed) {
        if (typed == null || typed.isBlank()) {
            return null;
        }
        String t = typed.trim();
        if (t.length() > 20 || !t.matches("\\d+(\\.\\d{1,6})?")) {
            throw ApiException.badRequest(field, field + " must be an amount of credits with at most six decimals, e.g. 5 or 0.25");
        }
        BigDecimal credits = new BigDecimal(t);
        if (credits.compareTo(BigDecimal.valueOf(1_000_000_000L)) > 0) {
            throw ApiException.badRequest(field, field + " must be at most 1000000000 credits");
        }
        return credits.movePointRight(6).longValueExact();
    }
}
