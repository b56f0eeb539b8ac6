package app.apimodels.core.accounts;

import app.apimodels.core.db.Sql;
import app.apimodels.core.mail.Letter;
import app.apimodels.core.mail.Outbox;

import java.time.Duration;
import java.util.Map;
import java.util.function.LongConsumer;

/**
 * "Forgot my password": a one-time link by mail if the address is known (the same answer if it
 * is not), then a new password, which also verifies the address (the link reached it) and ends
 * every session of the account.
 */
public final class PasswordResets {

    private final Sql sql;
    private final Accounts accounts;
    private final Passwords passwords;
    private final Tokens tokens;
    private final Throttle throttle;
    private final Outbox outbox;
    private final Duration ttl;
    private final LongConsumer endSessions;
    private final MailLinks links;

    /** @param endSessions ends every session of an account, inside nothing (after the new password is stored) */
    public PasswordResets(Sql sql, Accounts accounts, Passwords passwords, Tokens tokens, Throttle throttle,
                          Outbox outbox, Duration ttl, LongConsumer endSessions, MailLinks links) {
        this.links = links;
        this.sql = sql;
        this.accounts = accounts;
        this.passwords = passwords;
        this.tokens = tokens;
        this.throttle = throttle;
        this.outbox = outbox;
        this.ttl = ttl;
        this.endSessions = endSessions;
    }

    /** Mails a reset link to the address if an account has it; the same outcome (and limits) for any address. */
    public void request(String email, String ip, String base) {
        String normalized = Accounts.normalizeEmail(email);
        throttle.claimReset(normalized, ip);
        throttle.claimMail(normalized);
        accounts.credentials(normalized).ifPresent(known -> sql.tx(c -> {
            String token = tokens.issue(c, known.accountId(), Tokens.Purpose.RESET_PASSWORD, null, ttl);
            outbox.queue(c, new Letter(known.email(), "reset-password", known.locale(),
                    Map.of("link", links.reset(base, token)), null));
            return null;
        }));
    }

    /** Sets a new password with a reset link (once); every session of the account ends. */
    public void reset(String token, String password) {
        Passwords.checkAcceptable(password, null, "password");
        String hash = passwords.hash(password);
        long accountId = sql.tx(c -> {
            long id = tokens.consume(c, token, Tokens.Purpose.RESET_PASSWORD, "token").accountId();
            accounts.setPasswordHash(c, id, hash);
            accounts.markVerified(c, id);
            return id;
        });
        endSessions.accept(accountId);
    }
}
