package app.apimodels.console;

import app.apimodels.spi.web.Exchange;

import java.util.Locale;

/**
 * Which language a page is in: the one chosen with the switch (a cookie), else the browser's
 * {@code Accept-Language} (its first language the console has, by weight), else English.
 */
final class Language {

    static final String COOKIE = "apimodels_lang";

    private Language() {
    }

    static String of(Exchange ex) {
        String chosen = cookie(ex.header("Cookie"));
        if (chosen != null && Messages.LANGUAGES.contains(chosen)) {
            return chosen;
        }
        return fromAcceptLanguage(ex.header("Accept-Language"));
    }

    /** The best of {@link Messages#LANGUAGES} by the header's weights; English when none is there. */
    static String fromAcceptLanguage(String header) {
        if (header == null) {
            return "en";
        }
        String best = "en";
        double bestWeight = -1;
        for (String range : header.split(",")) {
            String[] parts = range.trim().split(";");
            String tag = parts[0].trim().toLowerCase(Locale.ROOT);
            String primary = tag.contains("-") ? tag.substring(0, tag.indexOf('-')) : tag;
            double weight = 1;
            for (int i = 1; i < parts.length; i++) {
                String p = parts[i].trim();
                if (p.startsWith("q=")) {
                    try {
                        weight = Double.parseDouble(p.substring(2));
                    } catch (NumberFormatException e) {
                        weight = 0;
                    }
                }
            }
            if (Messages.LANGUAGES.contains(primary) && weight > bestWeight && weight > 0) {
                best = primary;
                bestWeight = weight;
            }
        }
        return best;
    }

    private static String cookie(String header) {
        if (header == null) {
            return null;
        }
        for (String part : header.split(";")) {
            int eq = part.indexOf('=');
            if (eq > 0 && part.substring(0, eq).trim().equals(COOKIE)) {
                return part.substring(eq + 1).trim();
            }
        }
        return null;
    }
}
