package app.apimodels.core.accounts;

/**
 * Where the one-time links of sign-up, password-reset and change-of-address mail land, as paths under the mount (the
 * token is appended as {@code ?token=…}). The JSON routes by default; an installed extension with
 * pages for them (the console) makes people land on a page instead.
 */
public record MailLinks(String verifyEmail, String resetPassword, String confirmEmail) {

    /**
     * The JSON routes: {@code GET /auth/verify-email} verifies, {@code GET /auth/confirm-email} changes the
     * address; a reset link's token goes to {@code POST /auth/reset-password}.
     */
    public static final MailLinks JSON = new MailLinks("/auth/verify-email", "/auth/reset-password", "/auth/confirm-email");

    String verify(String base, String token) {
        return base + verifyEmail + "?token=" + token;
    }

    String reset(String base, String token) {
        return base + resetPassword + "?token=" + token;
    }

    String confirm(String base, String token) {
        return base + confirmEmail + "?token=" + token;
    }
}
