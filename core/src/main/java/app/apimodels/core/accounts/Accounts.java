package app.apimodels.core.accounts;

import app.apimodels.core.db.Sql;
import app.apimodels.core.failure.Failure;
import com.password4j.Password;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/** Creates and finds accounts; each comes with its wallet and hold ledger accounts. */
public final class Accounts {

    private static final Pattern EMAIL = Pattern.compile("^[^@\\s]{1,64}@[^@\\s]{1,255}$");
    private static final String SELECT = """
            SELECT a.id, a.email, a.role, a.created_at, w.id AS wallet_id, h.id AS hold_id
            FROM apimodels_account a
            JOIN apimodels_ledger_account w ON w.owner_id = a.id AND w.kind = 'wallet'
            JOIN apimodels_ledger_account h ON h.owner_id = a.id AND h.kind = 'hold'
            """;

    private final Sql sql;
    private final Clock clock;

    public Accounts(Sql sql, Clock clock) {
        this.sql = sql;
        this.clock = clock;
    }

    /** Creates an account; 409 if the e-mail is taken, 400 if it or the password is unusable. */
    public Account create(String email, String password, Role role) {
        String normalized = normalizeEmail(email);
        if (password != null && password.length() < 10) {
            throw Failure.invalid("password", "password must have at least 10 characters");
        }
        String hash = password == null ? null : Password.hash(password).addRandomSalt().withArgon2().getResult();
        try {
            return sql.tx(c -> create(c, normalized, hash, role));
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

    public void setRole(long id, Role role) {
        sql.update("UPDATE apimodels_account SET role = ? WHERE id = ?", role.dbValue(), id);
    }

    static String normalizeEmail(String email) {
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
