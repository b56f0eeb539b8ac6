package app.apimodels.console;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * What every template gets as {@code page}: the words of its language, links under the mount, the
 * navigation for who is looking, and the session's CSRF token for forms.
 *
 * @param root   the mount's path as the browser sees it ({@code ""} at the root), prefixed to every link
 * @param path   this page's path under the mount ({@code /console/login}), for the language switch's way back
 * @param title  the page's title, already in its language
 * @param csrf   the session's CSRF token (the hidden {@code csrf_token} field of forms); null when signed out
 * @param people the navigation of people's pages (empty when signed out)
 * @param operators the navigation of operators' pages (empty unless an admin is signed in)
 */
public record Page(Messages messages, Assets assets, String root, String path, String title, String csrf,
                   List<Nav.Link> people, List<Nav.Link> operators) {

    /** The text of {@code key} in the page's language. */
    public String t(String key, Object... args) {
        return messages.t(key, args);
    }

    public String lang() {
        return messages.lang();
    }

    /** A link to a path under the mount ({@code /console/keys} → {@code /mount/console/keys}). */
    public String url(String under) {
        return root + under;
    }

    /** The versioned address of a static file ({@code console.css}). */
    public String asset(String logical) {
        return root + "/console/assets/" + assets.name(logical);
    }

    public boolean signedIn() {
        return csrf != null;
    }

    /** The language switch: sets the language cookie and comes back here. */
    public String switchTo(String language) {
        return url("/console/lang?to=" + language + "&next=" + URLEncoder.encode(path, StandardCharsets.UTF_8));
    }

    /** The other language of the two offered (what the switch offers). */
    public String otherLanguage() {
        return "zh".equals(lang()) ? "en" : "zh";
    }
}
