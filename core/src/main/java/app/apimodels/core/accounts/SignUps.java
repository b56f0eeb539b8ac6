package app.apimodels.core.accounts;

import app.apimodels.core.db.Sql;
import app.apimodels.core.failure.Failure;
import app.apimodels.core.mail.Letter;
import app.apimodels.core.mail.Outbox;
import app.apimodels.core.policies.Policies;
import app.apimodels.core.privacy.Consents;
import app.apimodels.core.policies.Policy;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * People signing up by themselves: an account with an unverified address, a verification link by
 * mail, no login before it is used. Nothing here tells whether an address is registered: a
 * sign-up with a known address answers the same and mails its owner instead (a reset link, or a
 * new verification link if it was never verified), after the same password hashing.
 */
public final class SignUps {

    /** The consent kind of the 18+ confirmation ({@code apimodels_consent.kind}). */
    public static final String AGE = "age";

    /** Who may sign up ({@code apimodels.signup.mode}). */
    public enum Mode { OPEN, INVITE, CLOSED }

    /**
     * A sign-up as asked for.
     *
     * @param acceptPolicyVersion the policy version the person accepts (required once one is published)
     * @param inviteToken         an admin's invitation (required in {@link Mode#INVITE})
     * @param locale              the language of the person's mail
     */
    public record Request(String email, String password, boolean ageConfirmed, String acceptPolicyVersion,
                          boolean marketingConsent, String inviteToken, Locale locale) {
    }

    private final Sql sql;
    private final Accounts accounts;
    private final Passwords passwords;
    private final Tokens tokens;
    private final Throttle throttle;
    private final Policies policies;
    private final Consents consents;
    private final Outbox outbox;
    private final Mode mode;
    private final Duration verifyTtl;
    private final Duration resetTtl;
    private final Duration inviteTtl;
    private final MailLinks links;

    public SignUps(Sql sql, Accounts accounts, Passwords passwords, Tokens tokens, Throttle throttle,
                   Policies policies, Consents consents, Outbox outbox, Mode mode, Duration verifyTtl, Duration resetTtl,
                   Duration inviteTtl, MailLinks links) {
        this.links = links;
        this.sql = sql;
        this.accounts = accounts;
        this.passwords = passwords;
        this.tokens = tokens;
        this.throttle = throttle;
        this.policies = policies;
        this.consents = consents;
        this.outbox = outbox;
        this.mode = mode;
        this.verifyTtl = verifyTtl;
        this.resetTtl = resetTtl;
        this.inviteTtl = inviteTtl;
    }

    /**
     * Signs a person up, or (for a known address) mails its owner; the same outcome either way.
     *
     * @param base where the API is reached (the public URL), for the mailed link
     */
    public void signUp(Request r, String base) {
        if (mode == Mode.CLOSED) {
            throw new Failure(Failure.Reason.SIGNUP_CLOSED, "sign-up is closed on this service; ask its operator for an account");
        }
        if (mode == Mode.INVITE && (r.inviteToken() == null || r.inviteToken().isBlank())) {
            throw new Failure(Failure.Reason.SIGNUP_CLOSED, "sign-up on this service needs an invitation: send its invite_token",
                    "invite_token");
        }
        String email = Accounts.normalizeEmail(r.email());
        Passwords.checkAcceptable(r.password(), email, "password");
        if (!r.ageConfirmed()) {
            throw Failure.invalid("age_confirmed", "age_confirmed must be true: the service is for people aged 18 or over");
        }
        Optional<Policy> policy = policies.toAccept().isPresent()
                ? Optional.of(policies.acceptable(r.acceptPolicyVersion(), "accept_policy_version"))
                : Optional.empty();
        throttle.claimMail(email);
        String hash = passwords.hash(r.password()); // also for a known address: both answers take as long
        try {
            sql.tx(c -> {
                if (mode == Mode.INVITE) {
                    Tokens.Used invite = tokens.consume(c, r.inviteToken(), Tokens.Purpose.INVITE, "invite_token");
                    if (invite.newEmail() != null && !invite.newEmail().equals(email)) {
                        throw Failure.invalid("invite_token", "this invitation is for another address");
                    }
                }
                Optional<Accounts.Credentials> known = Sql.one(c,
                        "SELECT id, email_verified_at, locale FROM apimodels_account WHERE email = ?",
                        rs -> new Accounts.Credentials(rs.getLong("id"), email, null, Sql.nullableLong(rs, "email_verified_at") != null,
                                Locale.forLanguageTag(rs.getString("locale"))), email);
                if (known.isPresent()) {
                    remind(c, known.get(), base);
                } else {
                    create(c, r, email, hash, policy, base);
                }
                return null;
            });
        } catch (RuntimeException e) {
            if (!Sql.isUniqueViolation(e)) {
                throw e;
            }
            // The same address signed up at the same moment: that sign-up mails its owner.
        }
    }

    private void create(Connection c, Request r, String email, String hash, Optional<Policy> policy, String base) throws SQLException {
        Account a = accounts.create(c, email, hash, Role.USER);
        Locale locale = r.locale() == null ? Locale.ENGLISH : r.locale();
        Sql.update(c, "UPDATE apimodels_account SET age_confirmed_at = ?, locale = ? WHERE id = ?",
                a.createdAt(), locale.toLanguageTag(), a.id());
        String version = policy.map(Policy::version).orElse(null);
        consents.record(c, a.id(), AGE, true, version);
        consents.record(c, a.id(), Consents.MARKETING, r.marketingConsent(), version);
        if (policy.isPresent()) {
            policies.accept(c, a.id(), policy.get());
        }
        sendVerification(c, a.id(), email, locale, base);
    }

    /** A known address signed up again: its owner gets a reset link, or a new verification link if it was never verified. */
    private void remind(Connection c, Accounts.Credentials known, String base) throws SQLException {
        if (known.verified()) {
            String token = tokens.issue(c, known.accountId(), Tokens.Purpose.RESET_PASSWORD, null, resetTtl);
            outbox.queue(c, new Letter(known.email(), "reset-password", known.locale(),
                    Map.of("link", links.reset(base, token)), null));
        } else {
            sendVerification(c, known.accountId(), known.email(), known.locale(), base);
        }
    }

    private void sendVerification(Connection c, long accountId, String email, Locale locale, String base) throws SQLException {
        String token = tokens.issue(c, accountId, Tokens.Purpose.VERIFY_EMAIL, null, verifyTtl);
        outbox.queue(c, new Letter(email, "verify-email", locale, Map.of("link", links.verify(base, token)), null));
    }

    /** Uses a verification link once: the address is verified and the person may log in. */
    public void verify(String token) {
        sql.tx(c -> {
            Tokens.Used used = tokens.consume(c, token, Tokens.Purpose.VERIFY_EMAIL, "token");
            accounts.markVerified(c, used.accountId());
            return null;
        });
    }

    /**
     * Sends a new verification link if the address belongs to an account not yet verified; the
     * same answer (and the same cool-down) for any address.
     */
    public void resend(String email, String base) {
        String normalized = Accounts.normalizeEmail(email);
        throttle.claimMail(normalized);
        sql.tx(c -> {
            Optional<Accounts.Credentials> known = Sql.one(c,
                    "SELECT id, locale FROM apimodels_account WHERE email = ? AND email_verified_at IS NULL",
                    rs -> new Accounts.Credentials(rs.getLong("id"), normalized, null, false, Locale.forLanguageTag(rs.getString("locale"))),
                    normalized);
            if (known.isPresent()) {
                sendVerification(c, known.get().accountId(), normalized, known.get().locale(), base);
            }
            return null;
        });
    }

    /** An invitation to sign up (for {@link Mode#INVITE}), optionally only for {@code email}; the token is shown once. */
    public String invite(String email) {
        String bound = email == null ? null : Accounts.normalizeEmail(email);
        return sql.tx(c -> tokens.issue(c, null, Tokens.Purpose.INVITE, bound, inviteTtl));
    }

    public Mode mode() {
        return mode;
    }
}
