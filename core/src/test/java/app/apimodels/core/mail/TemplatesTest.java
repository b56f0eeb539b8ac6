package app.apimodels.core.mail;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.URI;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every template renders in English and Chinese; values are escaped in HTML, subjects stay on one line. */
class TemplatesTest {

    private final Templates templates = new Templates("Acme AI", URI.create("https://ai.acme.example/console"));

    /** The values each template documents. */
    static final Map<String, Map<String, String>> VALUES = Map.of(
            "verify-email", Map.of("link", "https://ai.acme.example/auth/verify-email?token=abc"),
            "reset-password", Map.of("link", "https://ai.acme.example/auth/reset-password?token=def"),
            "login-locked", Map.of("until", "2026-01-01 12:15 UTC"),
            "receipt", Map.of("order_id", "ord_42", "amount", "20.00", "currency", "USD", "credits", "20"),
            "low-balance", Map.of("balance", "1.25"),
            "policy-change", Map.of("version", "2026-02", "effective_at", "2026-02-01", "link", "https://ai.acme.example/policy"),
            "account-deletion", Map.of("phase", "requested"),
            "announcement", Map.of("subject", "New models", "body", "GPT-9 is here.\nTry it today."));

    static Stream<Object[]> everyTemplateInEveryLanguage() {
        return Templates.NAMES.stream().flatMap(name -> Stream.of(new Object[] {name, Locale.ENGLISH},
                new Object[] {name, Locale.SIMPLIFIED_CHINESE}));
    }

    @ParameterizedTest
    @MethodSource("everyTemplateInEveryLanguage")
    void rendersWithItsValuesAndTheBrand(String name, Locale locale) {
        Templates.Rendered letter = templates.render(name, locale, VALUES.get(name));

        assertThat(letter.subject()).isNotBlank().doesNotContain("\n", "${");
        assertThat(letter.text()).doesNotContain("${").contains("Acme AI").contains("https://ai.acme.example/console");
        assertThat(letter.html()).doesNotContain("${").startsWith("<!DOCTYPE html>")
                .contains("<html lang=\"" + locale.getLanguage() + "\">").contains("Acme AI");
        for (String value : VALUES.get(name).values()) {
            if (!value.equals("requested")) {
                assertThat(letter.subject() + "\n" + letter.text()).as("%s carries %s", name, value).contains(value);
            }
        }
    }

    @Test
    void theLanguageFollowsTheLocale() {
        Map<String, String> values = VALUES.get("verify-email");
        assertThat(templates.render("verify-email", Locale.ENGLISH, values).subject()).isEqualTo("Confirm your email address for Acme AI");
        assertThat(templates.render("verify-email", Locale.forLanguageTag("zh-Hans-CN"), values).subject())
                .isEqualTo("确认您在 Acme AI 的邮箱地址");
        assertThat(templates.render("verify-email", Locale.forLanguageTag("zh-TW"), values).text()).contains("请打开下面的链接");
        assertThat(templates.render("verify-email", Locale.GERMAN, values).text()).contains("please confirm");
    }

    @Test
    void valuesAreEscapedInHtmlAndKeptAsTheyAreInText() {
        Map<String, String> values = Map.of("subject", "Tom & Jerry <b>", "body", "<script>alert('x')</script>\n\"quoted\" & more");
        Templates.Rendered letter = templates.render("announcement", Locale.ENGLISH, values);

        assertThat(letter.html()).contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;<br>")
                .contains("&quot;quoted&quot; &amp; more").contains("<title>Tom &amp; Jerry &lt;b&gt;</title>")
                .doesNotContain("<script>", "<b>");
        assertThat(letter.text()).contains("<script>alert('x')</script>\n\"quoted\" & more");
        assertThat(letter.subject()).isEqualTo("Tom & Jerry <b>");
    }

    @Test
    void aBrandWithMarkupIsEscapedToo() {
        Templates hostile = new Templates("<img src=x onerror=alert(1)>", null);
        Templates.Rendered letter = hostile.render("low-balance", Locale.ENGLISH, Map.of("balance", "1"));
        assertThat(letter.html()).doesNotContain("<img").contains("&lt;img src=x onerror=alert(1)&gt;");
    }

    @Test
    void linksAreClickableInHtmlAndEscapedInTheirAttribute() {
        Templates.Rendered letter = templates.render("verify-email", Locale.ENGLISH,
                Map.of("link", "https://ai.acme.example/v?token=a&next=\"x\""));
        assertThat(letter.html()).contains("<a href=\"https://ai.acme.example/v?token=a&amp;next=&quot;x&quot;\"");
    }

    @Test
    void aSubjectStaysOnOneLineWhateverItsValues() {
        Templates.Rendered letter = templates.render("announcement", Locale.ENGLISH,
                Map.of("subject", "Hello\r\nBcc: victim@example.com", "body", "b"));
        assertThat(letter.subject()).isEqualTo("Hello Bcc: victim@example.com");
    }

    @Test
    void aValueThatLooksLikeAPlaceholderStaysText() {
        Map<String, String> values = new HashMap<>(VALUES.get("announcement"));
        values.put("body", "${brand} ${link}");
        assertThat(templates.render("announcement", Locale.ENGLISH, values).text()).contains("${brand} ${link}");
    }

    @Test
    void theDeletionLetterHasAVariantPerPhase() {
        assertThat(templates.render("account-deletion", Locale.ENGLISH, Map.of("phase", "requested")).subject())
                .isEqualTo("Your Acme AI account is being deleted");
        assertThat(templates.render("account-deletion", Locale.ENGLISH, Map.of("phase", "done")).subject())
                .isEqualTo("Your Acme AI account has been deleted");
        assertThatThrownBy(() -> templates.render("account-deletion", Locale.ENGLISH, Map.of("phase", "later")))
                .hasMessageContaining("phase");
    }

    @Test
    void aMissingValueIsNamedNotLeftEmpty() {
        assertThatThrownBy(() -> templates.render("receipt", Locale.ENGLISH, Map.of("order_id", "1")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("receipt").hasMessageContaining("amount");
    }

    @Test
    void withoutAPublicUrlThereIsNoConsoleLink() {
        Templates.Rendered letter = new Templates("apimodels", null).render("low-balance", Locale.ENGLISH, Map.of("balance", "2"));
        assertThat(letter.text()).endsWith("because of your account at apimodels.\n");
        assertThat(List.of(letter.text(), letter.html())).noneMatch(part -> part.contains("http"));
    }
}
