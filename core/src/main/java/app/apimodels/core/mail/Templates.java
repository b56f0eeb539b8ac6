package app.apimodels.core.mail;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The mail templates, in English and Chinese: one plain-text file per template and language
 * ({@code templates/<name>.<lang>.txt}: the subject line, a blank line, the body) from which both
 * parts are made. The text part is the body with the values put in; the HTML part is the same
 * paragraphs in {@code templates/layout.html}, with every value HTML-escaped (so nothing a person
 * typed becomes markup) and links made clickable. Placeholders are {@code ${name}}; a missing
 * value is an error, never an empty hole.
 */
public final class Templates {

    /** Every template a {@link Letter} may name. */
    public static final Set<String> NAMES = Set.of("verify-email", "reset-password", "login-locked", "receipt",
            "low-balance", "policy-change", "account-deletion", "announcement");

    /** The templates that come in variants, chosen by the {@code phase} value. */
    private static final Map<String, List<String>> PHASES = Map.of("account-deletion", List.of("requested", "done"));
    private static final List<String> LANGUAGES = List.of("en", "zh");
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([a-z_]+)}");
    private static final Pattern URL = Pattern.compile("https?://\\S+");
    private static final int MAX_SUBJECT = 250;

    /** A letter ready to send. */
    public record Rendered(String subject, String text, String html) {
    }

    private final String brand;
    private final String consoleLink;
    private final Map<String, String> files = new HashMap<>();

    /**
     * @param brand     the service's name, {@code ${brand}} in every template
     * @param publicUrl where people reach the service ({@code ${console_link}}), or null when unknown
     */
    public Templates(String brand, URI publicUrl) {
        this.brand = brand;
        this.consoleLink = publicUrl == null ? null : publicUrl.toString();
        for (String language : LANGUAGES) {
            for (String name : NAMES) {
                for (String variant : PHASES.getOrDefault(name, List.of(""))) {
                    String file = (variant.isEmpty() ? name : name + "-" + variant) + "." + language + ".txt";
                    files.put(file, load(file));
                }
            }
            files.put("footer." + language + ".txt", load("footer." + language + ".txt"));
        }
        files.put("layout.html", load("layout.html"));
    }

    /**
     * Writes letter {@code name} in the locale's language (Chinese for {@code zh}, English otherwise).
     *
     * @throws IllegalArgumentException naming the template and the value, if a value it needs is missing
     */
    public Rendered render(String name, Locale locale, Map<String, String> given) {
        Map<String, String> values = new HashMap<>(given);
        values.put("brand", brand);
        values.put("console_link", consoleLink == null ? "" : consoleLink);
        String language = "zh".equals(locale.getLanguage()) ? "zh" : "en";
        String source = files.get(file(name, values) + "." + language + ".txt");
        if (source == null) {
            throw new IllegalArgumentException("no mail template " + name);
        }
        int blank = source.indexOf("\n\n");
        String subjectLine = source.substring(0, blank);
        String body = source.substring(blank + 2).strip();
        String footer = files.get("footer." + language + ".txt").strip();

        String subject = fill(name, subjectLine, values, v -> v.replaceAll("\\s+", " ")).strip();
        if (subject.length() > MAX_SUBJECT) {
            subject = subject.substring(0, MAX_SUBJECT);
        }
        String text = fill(name, body, values, UnaryOperator.identity()) + "\n\n-- \n"
                + fill(name, footer, values, UnaryOperator.identity()) + (consoleLink == null ? "" : "\n" + consoleLink) + "\n";
        return new Rendered(subject, text, html(name, language, subject, body, footer, values));
    }

    private static String file(String name, Map<String, String> values) {
        List<String> phases = PHASES.get(name);
        if (phases == null) {
            return name;
        }
        String phase = values.get("phase");
        if (!phases.contains(phase)) {
            throw new IllegalArgumentException("mail template " + name + " needs the value phase, one of " + phases);
        }
        return name + "-" + phase;
    }

    private String html(String name, String language, String subject, String body, String footer, Map<String, String> values) {
        StringBuilder content = new StringBuilder();
        for (String paragraph : body.split("\n{2,}")) {
            String lines = fill(name, escape(paragraph), values, Templates::htmlValue).replace("\n", "<br>\n");
            content.append("<p style=\"margin:0 0 16px;\">").append(lines).append("</p>\n");
        }
        String footerHtml = fill(name, escape(footer), values, Templates::htmlValue)
                + (consoleLink == null ? "" : "<br>\n" + htmlValue(consoleLink));
        Map<String, String> page = Map.of("lang", language, "subject", escape(subject), "brand", escape(brand),
                "content", content.toString().strip(), "footer", footerHtml);
        return fill("layout", files.get("layout.html"), page, UnaryOperator.identity());
    }

    /** A value in HTML: escaped, its line breaks kept, a web address made a link. */
    private static String htmlValue(String value) {
        if (URL.matcher(value).matches()) {
            String href = escape(value);
            return "<a href=\"" + href + "\" style=\"color:#2563eb;word-break:break-all;\">" + href + "</a>";
        }
        return escape(value).replace("\n", "<br>\n");
    }

    /** Puts the values in, in one pass: a value that itself contains {@code ${…}} stays as it is. */
    private static String fill(String template, String source, Map<String, String> values, UnaryOperator<String> form) {
        Matcher m = PLACEHOLDER.matcher(source);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = values.get(m.group(1));
            if (value == null) {
                throw new IllegalArgumentException("mail template " + template + " needs the value " + m.group(1));
            }
            m.appendReplacement(out, Matcher.quoteReplacement(form.apply(value)));
        }
        m.appendTail(out);
        return out.toString();
    }

    static String escape(String s) {
        StringBuilder out = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    private static String load(String file) {
        try (InputStream in = Templates.class.getResourceAsStream("templates/" + file)) {
            if (in == null) {
                throw new IllegalStateException("mail template file missing: " + file);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("\r\n", "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
