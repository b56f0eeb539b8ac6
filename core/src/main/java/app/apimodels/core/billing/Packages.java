package app.apimodels.core.billing;

import app.apimodels.core.api.Limits;

import java.math.BigDecimal;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/** The forms of the billing settings: credit packages ({@code starter:5000000,pro:20000000}) and the CNY rate. */
public final class Packages {

    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,59}");

    private Packages() {
    }

    /** {@code name:micros,…}: names of lower-case letters, digits, {@code -} and {@code _}; amounts in micros. */
    public static Map<String, Long> parse(String raw) {
        Map<String, Long> packages = new LinkedHashMap<>();
        for (String entry : raw.split(",")) {
            String[] parts = entry.trim().split(":", -1);
            if (parts.length != 2 || !NAME.matcher(parts[0].trim()).matches()) {
                throw new IllegalArgumentException("must be name:micros entries separated by commas (names: a-z, 0-9, - and _)");
            }
            long micros;
            try {
                micros = Long.parseLong(parts[1].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("package " + parts[0].trim() + " needs a whole number of micros");
            }
            if (micros < 10_000 || micros > Limits.MAX_MICROS) {
                throw new IllegalArgumentException("package " + parts[0].trim() + " must be from 10000 to " + Limits.MAX_MICROS + " micros");
            }
            if (packages.put(parts[0].trim(), micros) != null) {
                throw new IllegalArgumentException("package " + parts[0].trim() + " is named twice");
            }
        }
        return Collections.unmodifiableMap(packages);
    }

    /** A positive plain decimal such as {@code 7.20}, at most 1000 with at most 6 decimals. */
    public static BigDecimal rate(String raw) {
        if (!raw.matches("\\d{1,4}(\\.\\d{1,6})?")) {
            throw new IllegalArgumentException("must be a plain decimal such as 7.2");
        }
        BigDecimal rate = new BigDecimal(raw);
        if (rate.signum() <= 0 || rate.compareTo(BigDecimal.valueOf(1000)) > 0) {
            throw new IllegalArgumentException("must be above 0 and at most 1000");
        }
        return rate;
    }
}
