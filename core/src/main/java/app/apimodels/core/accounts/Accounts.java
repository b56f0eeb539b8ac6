package app.apimodels.core.accounts;

import app.apimodels.core.db.Sql;
import app.apimodels.core.failure.Failure;
import app.apimodels.core.mail.Letter;
import app.apimodels.core.mail.Outbox;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Creates and finds accounts; each comes with its wallet and hold ledger accounts. Holds what an
 * account's sign-in rests on: its password hash and its verified address, including a change of
 * address, which takes effect only once the new address is verified by its link.
 */
public final class Accounts {

    /** An address mail can be sent to: a plain local part and a domain name with a top-level domain. */
    private static final Pattern EMAIL = Pattern.compile(
            "^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@(?=.{4,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z]{2,63}$");
    private static final String SELECT = """
            SELECT a.id, a.email, a.role, a.created_at, w.id AS wallet_id, h.id AS hold_id
            FROM apimodels_account a
            JOIN apimodels_ledger_account w ON w.owner_id = a.id AND w.kind = 'wallet'
            JOIN apimodels_ledger_account h ON h.owner_id = a.id AND h.kind = 'hold'
            """;

    /** Where the sign-in data of an account stands, for a login. */
    public record Credentials(long accountId, String email, String passwordHash, boolean verified, Locale locale) {
    }

    private final Sql sql;
    private final Clock clock;
    private final Passwords passwords;
    private final Tokens tokens;
    private final Outbox outbox;
    private final Duration verifyTtl;
    private final MailLinks links;

    /** Accounts that send no mail (tools and tests): {@link #requestEmailChange} is not available. */
    public Accounts(Sql sql, Clock clock) {
        this(sql, clock, new Passwords(19_456, 2, 1), null, null, Duration.ZERO, MailLinks.JSON);
    }

    /** @param links where the change-of-address link lands (the console's page when it is installed) */
    public Accounts(Sql sql, Clock clock, Passwords passwords, Tokens tokens, Outbox outbox, Duration verifyTtl, MailLinks links) {
        this.sql = sql;
        this.clock = clock;
        this.passwords = passwords;
        this.tokens = tokens;
        this.outbox = outbox;
        this.verifyTtl = verifyTtl;
        this.links = links;
    }

    /**
     * Creates an account for an admin; 409 if the e-mail is taken, 400 if it or the password is
     * unusable. The admin vouches for the address, so it counts as verified.
     */
    public Account create(String email, String password, Role role) {
        String normalized = normalizeEmail(email);
        if (password != null) {
            Passwords.checkAcceptable(password, normalized, "password");
        }
        String hash = password == null ? null : passwords.hash(password);
        try {
            return sql.tx(c -> {
                Account a = create(c, normalized, hash, role);
                Sql.update(c, "UPDATE apimodels_account SET email_verified_at = ? WHERE id = ?", a.createdAt(), a.id());
                return a;
            });
        } catch (RuntimeException e) {
            if (Sql.isUniqueViolation(e)) {
                throw new Failure(Failure.Reason.EMAIL_TAKEN, "an account with this email already exists", "email");
            }
            throw e;
        }
    }

    Account create(Connection c, String email, String passwordHash, Role role) throws SQLException {
        long now = clock.millis();
        long id = Sql.insert(c, "INSERT INTO apimodels_account (email, password_hash, role, created_at) VALUES (?, ?, ?, ?)",
                email, passwordHash, role.dbValue(), now);
        long wallet = Sql.insert(c, "INSERT INTO apimodels_ledger_account (kind, owner_id, balance) VALUES ('wallet', ?, 0)", id);
        long hold = Sql.insert(c, "INSERT INTO apimodels_ledger_account (kind, owner_id, balance) VALUES ('hold', ?, 0)", id);
        return new Account(id, email, role, now, wallet, hold);
    }

    /** The sign-in data for an address, if an account has it. */
    public Optional<Credentials> credentials(String normalizedEmail) {
        return sql.one("SELECT id, email, password_hash, email_verified_at, locale FROM apimodels_account WHERE email = ?",
                rs -> new Credentials(rs.getLong("id"), rs.getString("email"), rs.getString("password_hash"),
                        Sql.nullableLong(rs, "email_verified_at") != null, Locale.forLanguageTag(rs.getString("locale"))), normalizedEmail);
    }

    /** Stores a new password hash (a rehash at login, or a new password). */
    void setPasswordHash(Connection c, long id, String hash) throws SQLException {
        Sql.update(c, "UPDATE apimodels_account SET password_hash = ? WHERE id = ?", hash, id);
    }

    /** The address is verified (its link was used), if it was not already. */
    void markVerified(Connection c, long id) throws SQLException {
        Sql.update(c, "UPDATE apimodels_account SET email_verified_at = ? WHERE id = ? AND email_verified_at IS NULL",
                clock.millis(), id);
    }

    /** Stores a password hash made again with the current parameters (at a successful login). */
    public void rehash(long id, String password) {
        String hash = passwords.hash(password);
        sql.tx(c -> {
            setPasswordHash(c, id, hash);
            return null;
        });
    }

    /**
     * Asks to change the account's address: the new one gets a {@code verify-email} letter with a
     * link to {@code <base>/auth/confirm-email?token=…} (or the page of {@link MailLinks}), and the change takes effect only when that
     * link is used ({@link #confirmEmailChange}). The answer is the same whether or not another
     * account has the address; that is checked when the link is used, by the address's owner.
     *
     * @param base where the API is reached (the public URL), for the link
     */
    public void requestEmailChange(long accountId, String newEmail, String base) {
        if (outbox == null) {
            throw new IllegalStateException("these accounts send no mail");
        }
        String normalized = normalizeEmail(newEmail);
        sql.tx(c -> {
            Credentials current = Sql.one(c, "SELECT id, email, password_hash, email_verified_at, locale FROM apimodels_account WHERE id = ?",
                    rs -> new Credentials(rs.getLong("id"), rs.getString("email"), rs.getString("password_hash"), true,
                            Locale.forLanguageTag(rs.getString("locale"))), accountId).orElseThrow(() -> Failure.notFound("account"));
            if (current.email().equals(normalized)) {
                throw Failure.invalid("email", "email is already this account's address");
            }
            String token = tokens.issue(c, accountId, Tokens.Purpose.CHANGE_EMAIL, normalized, verifyTtl);
            outbox.queue(c, new Letter(normalized, "verify-email", current.locale(),
                    Map.of("link", links.confirm(base, token)), null));
            return null;
        });
    }

    /**
     * Uses a change-of-address link once: the account's address becomes the new one, verified. A
     * 400 naming {@code token} if the link is not valid, or if another account took the address since.
     */
    public Account confirmEmailChange(String token) {
        long id;
        try {
            id = sql.tx(c -> {
                Tokens.Used used = tokens.consume(c, token, Tokens.Purpose.CHANGE_EMAIL, "token");
                Sql.update(c, "UPDATE apimodels_account SET email = ?, email_verified_at = ? WHERE id = ?",
                        used.newEmail(), clock.millis(), used.accountId());
                return used.accountId();
            });
        } catch (RuntimeException e) {
            if (Sql.isUniqueViolation(e)) {
                throw Failure.invalid("token", "another account has this address now; the change cannot be made");
            }
            throw e;
        }
        return get(id);
    }

    public Optional<Account> find(long id) {
        return sql.one(SELECT + " WHERE a.id = ?", Accounts::map, id);
    }

    public Account get(long id) {
        return find(id).orElseThrow(() -> Failure.notFound("user"));
    }

    public Optional<Account> firstAdmin() {
        return sql.one(SELECT + " WHERE a.role = 'admin' ORDER BY a.id", Accounts::map);
    }

    public boolean isEmpty() {
        return sql.one("SELECT 1 FROM apimodels_account", rs -> 1).isEmpty();
    }

    /**
     * One line of an operator's list of accounts.
     *
     * @param restricted processing restricted by the holder
     * @param suspended  suspended by an operator
     * @param erased     the holder erased the account (its address and name are gone)
     */
    public record Summary(long id, String email, String name, Role role, long createdAt, boolean restricted, boolean suspended,
                          boolean erased) {
    }

    /**
     * Accounts for an operator, newest first: those whose id is {@code query} (when it is a number)
     * or whose address or name contains it (any case); all when {@code query} is null or blank.
     *
     * @param beforeId only accounts with a smaller id (the last id of the previous page), or null
     */
    public List<Summary> search(String query, Long beforeId, int limit) {
        StringBuilder where = new StringBuilder(" WHERE 1 = 1");
        List<Object> args = new ArrayList<>();
        String q = query == null ? "" : query.strip();
        if (!q.isEmpty()) {
            String like = "%" + q.toLowerCase(Locale.ROOT).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%";
            where.append(" AND (LOWER(email) LIKE ? ESCAPE '\\' OR LOWER(name) LIKE ? ESCAPE '\\'");
            args.add(like);
            args.add(like);
            if (q.matches("[0-9]{1,18}")) {
                where.append(" OR id = ?");
                args.add(Long.parseLong(q));
            }
            where.append(')');
        }
        if (beforeId != null) {
            where.append(" AND id < ?");
            args.add(beforeId);
        }
        args.add(limit);
        return sql.list(SUMMARY + where + " ORDER BY id DESC LIMIT ?", Accounts::summary, args.toArray());
    }

    /** One account as an operator's list shows it; 404 naming {@code user} if there is none. */
    public Summary summary(long id) {
        return sql.one(SUMMARY + " WHERE id = ?", Accounts::summary, id).orElseThrow(() -> Failure.notFound("user"));
    }

    private static final String SUMMARY = "SELECT id, email, name, role, created_at, restricted_at, suspended_at, deleted_at FROM apimodels_account";

    private static Summary summary(ResultSet rs) throws SQLException {
        return new Summary(rs.getLong("id"), rs.getString("email"), rs.getString("name"), Role.fromDb(rs.getString("role")),
                rs.getLong("created_at"), rs.getObject("restricted_at") != null, rs.getObject("suspended_at") != null,
                rs.getObject("deleted_at") != null);
    }

    /**
     * An operator makes an account an admin or a user. Refused (400 naming {@code role}) when it
     * would leave no admin: every admin row is locked first, in id order, so two admins demoting
     * each other at once cannot both succeed. An erased account is 404.
     *
     * @return the account as it now is
     */
    public Account changeRole(long id, Role role) {
        sql.tx(c -> {
            List<Long> admins = Sql.list(c, "SELECT id FROM apimodels_account WHERE role = 'admin' ORDER BY id FOR UPDATE",
                    rs -> rs.getLong(1));
            Sql.one(c, "SELECT id FROM apimodels_account WHERE id = ? AND deleted_at IS NULL FOR UPDATE", rs -> 1, id)
                    .orElseThrow(() -> Failure.notFound("user"));
            if (role != Role.ADMIN && admins.equals(List.of(id))) {
                throw Failure.invalid("role", "this is the only admin: make another account an admin first");
            }
            Sql.update(c, "UPDATE apimodels_account SET role = ? WHERE id = ?", role.dbValue(), id);
            return null;
        });
        return get(id);
    }

    /**
     * Gives the account this password unless it already has it (an operator's configured console
     * password for the bootstrap admin); 400 naming {@code field} if the password is unusable.
     */
    public void ensurePassword(long id, String password, String field) {
        Account a = get(id);
        Passwords.checkAcceptable(password, a.email(), field);
        String stored = credentials(a.email()).map(Credentials::passwordHash).orElse(null);
        if (stored == null || !passwords.check(password, stored).matches()) {
            rehash(id, password);
        }
    }

    public void setRole(long id, Role role) {
        sql.update("UPDATE apimodels_account SET role = ? WHERE id = ?", role.dbValue(), id);
    }

    /** The address in the one form it is stored in; 400 naming {@code email} if it is not one. */
    public static String normalizeEmail(String email) {
        if (email == null || !EMAIL.matcher(email.trim()).matches()) {
            throw Failure.invalid("email", "email must be an e-mail address");
        }
        return email.trim().toLowerCase(Locale.ROOT);
    }

    private static Account map(ResultSet rs) throws SQLException {
        return new Account(rs.getLong("id"), rs.getString("email"), Role.fromDb(rs.getString("role")),
                rs.getLong("created_at"), rs.getLong("wallet_id"), rs.getLong("hold_id"));
    }
}
