package app.apimodels.core;

import app.apimodels.core.accounts.Accounts;
import app.apimodels.core.accounts.Attempts;
import app.apimodels.core.accounts.MailLinks;
import app.apimodels.core.accounts.PasswordResets;
import app.apimodels.core.accounts.Passwords;
import app.apimodels.core.accounts.SignUps;
import app.apimodels.core.accounts.Throttle;
import app.apimodels.core.accounts.Tokens;
import app.apimodels.core.api.AuthApi;
import app.apimodels.core.api.PolicyApi;
import app.apimodels.core.config.Keys;
import app.apimodels.core.config.Settings;
import app.apimodels.core.db.Sql;
import app.apimodels.core.limits.ClientAddress;
import app.apimodels.core.mail.Outbox;
import app.apimodels.core.policies.Policies;
import app.apimodels.core.privacy.Consents;
import app.apimodels.core.privacy.Erasure;
import app.apimodels.core.privacy.Profiles;
import app.apimodels.core.sessions.Csrf;
import app.apimodels.core.sessions.Logins;
import app.apimodels.core.sessions.SessionCookie;
import app.apimodels.core.sessions.Sessions;
import app.apimodels.core.sessions.Site;
import app.apimodels.core.startup.Pepper;

import java.time.Clock;
import java.time.Duration;
import java.util.function.BiPredicate;

/** The people side of the engine wired together: accounts, sign-up, sessions, throttling, policy versions. */
record People(Accounts accounts, Passwords passwords, Tokens tokens, Sessions sessions, Csrf csrf, Policies policies,
              Throttle throttle, SignUps signUps, Logins logins, PasswordResets resets, SessionCookie cookie,
              AuthApi authApi, PolicyApi policyApi, Site site) {

    /** @param links where mailed sign-up, reset and change-of-address links land (the console's pages when it is installed) */
    static People wire(Settings settings, Sql sql, Clock clock, Outbox outbox, byte[] pepper, Duration cacheTtl,
                       ClientAddress clientAddress, MailLinks links) {
        Passwords passwords = new Passwords(settings.get(Keys.PASSWORD_ARGON2_MEMORY_KIB), settings.get(Keys.PASSWORD_ARGON2_ITERATIONS),
                settings.get(Keys.PASSWORD_ARGON2_PARALLELISM));
        Tokens tokens = new Tokens(clock);
        Duration verifyTtl = settings.get(Keys.VERIFY_TOKEN_TTL);
        Duration resetTtl = settings.get(Keys.RESET_TOKEN_TTL);
        Accounts accounts = new Accounts(sql, clock, passwords, tokens, outbox, verifyTtl, links);
        Consents consents = new Consents(clock);
        Policies policies = new Policies(sql, clock, outbox, consents, Duration.ofDays(settings.get(Keys.POLICY_KEY_GRACE_DAYS)), cacheTtl);
        Throttle throttle = new Throttle(new Attempts(sql, clock), Pepper.derive(pepper, "apimodels auth attempts"),
                new Throttle.Limits(settings.get(Keys.LOGIN_MAX_FAILURES), settings.get(Keys.LOGIN_MAX_FAILURES_PER_IP),
                        settings.get(Keys.RESET_MAX_REQUESTS), settings.get(Keys.ATTEMPT_WINDOW), settings.get(Keys.LOCKOUT),
                        settings.get(Keys.MAIL_COOLDOWN)));
        Sessions sessions = new Sessions(sql, clock, settings.get(Keys.SESSION_IDLE), settings.get(Keys.SESSION_ABSOLUTE));
        Site site = new Site(settings.find(Keys.PUBLIC_URL).orElse(null));
        Csrf csrf = new Csrf(site);
        SignUps signUps = new SignUps(sql, accounts, passwords, tokens, throttle, policies, consents, outbox,
                settings.get(Keys.SIGNUP_MODE), verifyTtl, resetTtl,
                settings.get(Keys.INVITE_TTL), links);
        PasswordResets resets = new PasswordResets(sql, accounts, passwords, tokens, throttle, outbox, resetTtl, sessions::endAll,
                links);
        Logins logins = new Logins(clock, accounts, passwords, throttle, sessions, outbox);
        SessionCookie cookie = new SessionCookie(site);
        AuthApi authApi = new AuthApi(signUps, logins, sessions, resets, accounts, throttle, csrf, cookie, site, clientAddress);
        return new People(accounts, passwords, tokens, sessions, csrf, policies, throttle, signUps, logins, resets, cookie, authApi,
                new PolicyApi(policies, site), site);
    }

    /** A password against a stored hash, with the hashing parameters the hash names (for erasure's confirmation). */
    BiPredicate<String, String> passwordMatches() {
        return (password, hash) -> passwords.check(password, hash).matches();
    }

    /** What an erasure does here: the account's sessions and one-time links go (they hold addresses, IPs and browsers). */
    Erasure.Step erasure() {
        return (tx, person) -> {
            int ended = sessions.erase(tx, person.accountId());
            int links = tokens.erase(tx, person.accountId(), person.email());
            return ended + " sessions and " + links + " one-time links deleted";
        };
    }

    /** The verified change of address, for {@code PATCH /api/v1/account}: a link to the new address, mailed here. */
    Profiles.EmailChange emailChange() {
        return (accountId, newEmail, requestBase) -> accounts.requestEmailChange(accountId, newEmail, site.base(requestBase));
    }
}
