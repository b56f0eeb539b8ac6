package app.apimodels.console;

import java.text.MessageFormat;
import java.util.List;
import java.util.Locale;
import java.util.MissingResourceException;
import java.util.ResourceBundle;

/**
 * The console's words in one language: {@code messages.properties} (English) and
 * {@code messages_zh.properties} (Chinese), UTF-8, in this package. Every template takes its text
 * from here; a key missing in Chinese falls back to English, a key missing everywhere shows itself
 * (so a forgotten key is seen on the page, and {@code MessagesTest} catches it first).
 */
public final class Messages {

    /** The languages offered, the first the default. */
    public static final List<String> LANGUAGES = List.of("en", "zh");

    private static final ResourceBundle.Control NO_DEFAULT_LOCALE =
            ResourceBundle.Control.getNoFallbackControl(ResourceBundle.Control.FORMAT_PROPERTIES);

    private final String lang;
    private final ResourceBundle bundle;

    private Messages(String lang) {
        this.lang = lang;
        this.bundle = ResourceBundle.getBundle(Messages.class.getPackageName() + ".messages",
                "en".equals(lang) ? Locale.ROOT : Locale.forLanguageTag(lang), Messages.class.getClassLoader(), NO_DEFAULT_LOCALE);
    }

    private static final Messages EN = new Messages("en");
    private static final Messages ZH = new Messages("zh");

    /** The messages of a language of {@link #LANGUAGES} (English for anything else). */
    public static Messages of(String lang) {
        return "zh".equals(lang) ? ZH : EN;
    }

    public String lang() {
        return lang;
    }

    /** The mail and page locale of this language. */
    public Locale locale() {
        return "zh".equals(lang) ? Locale.CHINESE : Locale.ENGLISH;
    }

    /** The text of {@code key}, with {@code {0}}-style arguments filled in when given. */
    public String t(String key, Object... args) {
        String text;
        try {
            text = bundle.getString(key);
        } catch (MissingResourceException e) {
            return key;
        }
        return args.length == 0 ? text : new MessageFormat(text, locale()).format(args);
    }

    /** The keys this language defines itself (for the completeness test). */
    java.util.Set<String> keys() {
        return bundle.keySet();
    }
}
