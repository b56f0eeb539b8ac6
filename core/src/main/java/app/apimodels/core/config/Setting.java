package app.apimodels.core.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * One configuration key: its name, how its text becomes a value, its default and what it means.
 * Every key is a constant of {@link Keys}; {@link Settings#get} reads one. Parsing is strict: a
 * value that does not fit stops start-up with a {@link ConfigException} naming the key.
 *
 * @param <T> the value's type
 */
public final class Setting<T> {

    private static final long YEAR_SECONDS = 365L * 24 * 3600;
    private static final long HOUR_MILLIS = 3_600_000;

    private final String key;
    private final Function<String, T> parser;
    private final Supplier<T> fallback;
    private final String documentedDefault;
    private final String meaning;

    private Setting(String key, Function<String, T> parser, Supplier<T> fallback, String documentedDefault, String meaning) {
        this.key = Objects.requireNonNull(key);
        this.parser = parser;
        this.fallback = fallback;
        this.documentedDefault = documentedDefault;
        this.meaning = meaning;
    }

    /** Free text; without a value the setting is absent ({@link Settings#find}). */
    public static Setting<String> text(String key, String meaning) {
        return new Setting<>(key, Function.identity(), null, "—", meaning);
    }

    public static Setting<String> text(String key, String fallback, String meaning) {
        return new Setting<>(key, Function.identity(), () -> fallback, code(fallback.isEmpty() ? "\"\"" : fallback), meaning);
    }

    /** {@code true} or {@code false} (any case); nothing else, so {@code no} or {@code 0} are refused, not read as yes. */
    public static Setting<Boolean> flag(String key, boolean fallback, String meaning) {
        return new Setting<>(key, raw -> switch (raw.toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("must be true or false");
        }, () -> fallback, code(String.valueOf(fallback)), meaning);
    }

    /** A whole number from {@code min} to {@code max}. */
    public static Setting<Long> number(String key, long fallback, long min, long max, String meaning) {
        return new Setting<>(key, raw -> whole(raw, min, max), () -> fallback, code(String.valueOf(fallback)), meaning);
    }

    public static Setting<Integer> integer(String key, int fallback, int min, int max, String meaning) {
        return new Setting<>(key, raw -> (int) whole(raw, min, max), () -> fallback, code(String.valueOf(fallback)), meaning);
    }

    /** A duration in whole seconds, at least {@code min} (1 where zero makes no sense) and at most a year. */
    public static Setting<Duration> seconds(String key, long fallback, long min, String meaning) {
        return seconds(key, fallback, min, YEAR_SECONDS, meaning);
    }

    public static Setting<Duration> seconds(String key, long fallback, long min, long max, String meaning) {
        return new Setting<>(key, raw -> Duration.ofSeconds(whole(raw, min, max)), () -> Duration.ofSeconds(fallback),
                code(String.valueOf(fallback)), meaning);
    }

    /** A duration in milliseconds, at least {@code min} and at most an hour. */
    public static Setting<Duration> millis(String key, long fallback, long min, String meaning) {
        return new Setting<>(key, raw -> Duration.ofMillis(whole(raw, min, HOUR_MILLIS)), () -> Duration.ofMillis(fallback),
                code(String.valueOf(fallback)), meaning);
    }

    /**
     * One of the constants of {@code fallback}'s enum, written as its name in lower case (read in
     * any case), so a choice reaches its user as a type the compiler checks, never as text to compare.
     */
    public static <E extends Enum<E>> Setting<E> choice(String key, E fallback, String meaning) {
        E[] constants = fallback.getDeclaringClass().getEnumConstants();
        List<String> names = java.util.Arrays.stream(constants).map(Setting::lowerCase).toList();
        return new Setting<>(key, raw -> {
            int at = names.indexOf(raw.toLowerCase(Locale.ROOT));
            if (at < 0) {
                throw new IllegalArgumentException("must be one of " + String.join(", ", names));
            }
            return constants[at];
        }, () -> fallback, code(lowerCase(fallback)), meaning);
    }

    /** How a choice is written in settings and the README. */
    public static String lowerCase(Enum<?> choice) {
        return choice.name().toLowerCase(Locale.ROOT);
    }

    public static Setting<Path> path(String key, String meaning) {
        return new Setting<>(key, Setting::toPath, null, "—", meaning);
    }

    public static Setting<Path> path(String key, String fallback, String meaning) {
        return new Setting<>(key, Setting::toPath, () -> Path.of(fallback), code(fallback), meaning);
    }

    /** An absolute {@code http} or {@code https} URL. */
    public static Setting<URI> url(String key, String meaning) {
        return new Setting<>(key, raw -> {
            try {
                URI uri = new URI(raw);
                if (!("http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme())) || uri.getHost() == null) {
                    throw new IllegalArgumentException("must be an absolute http or https URL");
                }
                return uri;
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("must be an absolute http or https URL");
            }
        }, null, "—", meaning);
    }

    /**
     * A value of a form of its own; {@code parser} throws {@link IllegalArgumentException} with a
     * message that says what is expected (the key is added to it).
     */
    public static <T> Setting<T> parsed(String key, Function<String, T> parser, String meaning) {
        return new Setting<>(key, parser, null, "—", meaning);
    }

    /** The same setting with a default computed at start (e.g. from the number of cores), documented as {@code how}. */
    public Setting<T> computed(Supplier<T> value, String how) {
        return new Setting<>(key, parser, value, how, meaning);
    }

    /**
     * The same setting with its default (or the behaviour without a value) documented as {@code text}
     * in the README's default column instead of the literal value.
     */
    public Setting<T> documentedAs(String text) {
        return new Setting<>(key, parser, fallback, text, meaning);
    }

    public String key() {
        return key;
    }

    /** How the README's default column for this key begins. */
    public String documentedDefault() {
        return documentedDefault;
    }

    /** One line on what the key does. */
    public String meaning() {
        return meaning;
    }

    boolean hasDefault() {
        return fallback != null;
    }

    T fallback() {
        return fallback.get();
    }

    /** The value of {@code raw} (trimmed, not empty). */
    T parse(String raw) {
        try {
            return parser.apply(raw);
        } catch (IllegalArgumentException e) {
            // A parser of its own may already name the key and the entry at fault.
            String message = e.getMessage() != null && e.getMessage().startsWith(key) ? e.getMessage()
                    : key + " " + e.getMessage() + ", got '" + raw + "'";
            throw new ConfigException(message, e);
        }
    }

    @Override
    public String toString() {
        return key;
    }

    private static long whole(String raw, long min, long max) {
        long value;
        try {
            value = Long.parseLong(raw);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("must be a whole number from " + min + " to " + max);
        }
        if (value < min || value > max) {
            throw new IllegalArgumentException("must be from " + min + " to " + max);
        }
        return value;
    }

    private static Path toPath(String raw) {
        try {
            return Path.of(raw);
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException("must be a file path (" + e.getReason() + ")");
        }
    }

    private static String code(String value) {
        return "`" + value + "`";
    }
}
