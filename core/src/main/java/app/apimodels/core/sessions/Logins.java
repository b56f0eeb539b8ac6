package app.apimodels.core.sessions;

import app.apimodels.core.accounts.Accounts;
import app.apimodels.core.accounts.Passwords;
import app.apimodels.core.accounts.Throttle;
import app.apimodels.core.failure.Failure;
import app.apimodels.core.mail.Letter;
import app.apimodels.core.mail.Outbox;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * Logging in with an e-mail address and a password: throttled per address and per client, the
 * same failure for an unknown address as for a wrong password (after the same hashing work), a
 * new session id every time (an id the browser brought is ended, never adopted), and the stored
 * hash redone when the hashing parameters changed.
 */
public final class Logins {

    private final Clock clock;
    private final Accounts accounts;
    private final Passwords passwords;
    private final Throttle throttle;
    private final Sessions sessions;
    private final Outbox outbox;

    public Logins(Clock clock, Accounts accounts, Passwords passwords, Throttle throttle, Sessions sessions, Outbox outbox) {
        this.clock = clock;
        this.accounts = accounts;
        this.passwords = passwords;
        this.throttle = throttle;
        this.sessions = sessions;
        this.outbox = outbox;
    }

    /**
     * @param broughtSession the session id the browser's cookie carried, if any: ended, so an id
     *                       planted before login never becomes a logged-in one
     */
    public Sessions.NewSession login(String email, String password, String ip, String userAgent, String broughtSession) {
        String address = Accounts.normalizeEmail(email);
        if (password == null || password.isEmpty()) {
            throw Failure.invalid("password", "password is required");
        }
        if (password.length() > Passwords.MAX_LENGTH) {
            throw failed(address, ip, Optional.empty());
        }
        throttle.beforeLogin(address, ip);
        Optional<Accounts.Credentials> known = accounts.credentials(address);
        if (known.isEmpty()) {
            passwords.waste(password);
            throw failed(address, ip, known);
        }
        Passwords.Check check = passwords.check(password, known.get().passwordHash());
        if (!check.matches()) {
            throw failed(address, ip, known);
        }
        if (!known.get().verified()) {
            throw new Failure(Failure.Reason.EMAIL_NOT_VERIFIED, "verify your address first with the link we mailed you "
                    + "(POST /auth/verify-email/resend {\"email\"} sends a new one)", "email");
        }
        throttle.loginSucceeded(address);
        if (check.needsRehash()) {
            accounts.rehash(known.get().accountId(), password);
        }
        sessions.end(broughtSession);
        return sessions.create(known.get().accountId(), ip, userAgent);
    }

    /** Counts the failure; the address's owner is told by mail when it locks the address. */
    private Failure failed(String address, String ip, Optional<Accounts.Credentials> known) {
        Optional<Duration> locked = throttle.loginFailed(address, ip);
        if (locked.isPresent()) {
            String until = Instant.ofEpochMilli(clock.millis() + locked.get().toMillis()).toString();
            known.ifPresent(k -> outbox.queue(new Letter(k.email(), "login-locked", k.locale(), Map.of("until", until),
                    "login-locked:" + k.accountId() + ":" + until)));
            return throttle.locked(locked.get());
        }
        return new Failure(Failure.Reason.INVALID_CREDENTIALS, "the e-mail address or the password is wrong");
    }
}
