package app.apimodels.console;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class MessagesTest {

    @Test
    void everyLanguageHasEveryKey() {
        var english = Messages.of("en").keys();
        var chinese = Messages.of("zh").keys();
        assertThat(english).isNotEmpty();
        assertThat(chinese).containsExactlyInAnyOrderElementsOf(english);
        assertThat(Messages.of("zh").t("nav.login")).isEqualTo("登录");
        assertThat(Messages.of("en").t("error.status", 404)).isEqualTo("Error 404");
    }

    @Test
    void languageComesFromTheBrowserByWeight() {
        assertThat(Language.fromAcceptLanguage("zh-CN,zh;q=0.9,en;q=0.8")).isEqualTo("zh");
        assertThat(Language.fromAcceptLanguage("en-US,en;q=0.9,zh;q=0.8")).isEqualTo("en");
        assertThat(Language.fromAcceptLanguage("fr;q=1, zh-TW;q=0.5")).isEqualTo("zh");
        assertThat(Language.fromAcceptLanguage("zh;q=0, fr")).isEqualTo("en");
        assertThat(Language.fromAcceptLanguage(null)).isEqualTo("en");
        assertThat(Language.fromAcceptLanguage("zh;q=x")).isEqualTo("en");
    }

    @Test
    void nextIsOnlyAConsolePathOfThisSite() {
        assertThat(Next.safe("/console/keys?page=2")).isEqualTo("/console/keys?page=2");
        assertThat(Next.safe("/console")).isEqualTo("/console");
        for (String evil : new String[]{null, "", "https://evil.example/console/", "//evil.example", "/console//evil.example",
                "/console/\\evil", "/admin/users", "/consolex", "/console/\r\nSet-Cookie: x=1"}) {
            assertThat(Next.safe(evil)).as(String.valueOf(evil)).isEqualTo("/console/");
        }
    }

    /** An escaped deep link can be six times as long; the log-in redirect's Location must stay well under 4 KiB. */
    @Test
    void anEscapedNextLongerThan2000CharactersIsTheDashboards() {
        assertThat(Next.escaped("/console/keys?page=2")).isEqualTo("%2Fconsole%2Fkeys%3Fpage%3D2");
        String deep = "/console/keys?" + "%".repeat(1200);
        assertThat(Next.safe(deep)).isEqualTo(deep);
        assertThat(Next.escaped(deep)).isEqualTo("%2Fconsole%2F");
        assertThat(Next.escaped("/console/keys?" + "a".repeat(1900))).hasSize("%2Fconsole%2Fkeys%3F".length() + 1900);
    }
}
