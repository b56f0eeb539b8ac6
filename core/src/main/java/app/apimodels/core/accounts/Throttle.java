package app.apimodels.core.accounts;

import app.apimodels.core.failure.Failure;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The limits on guessing and on mail sent at a stranger's request, counted in the database so all
 * nodes count together ({@link Attempts}): failed logins per address (then the address is locked)
 * and per client address, reset requests per address and per client, bad links per client, and
 * one mail per address per cool-down. Addresses are counted by an HMAC, whether or not an
 * account has them, so every answer is the same for known and unknown addresses.
 */
public final class Throttle {

    /**
     * @param loginFailures   failed logins per address within {@code window} that lock it
     * @param ipFailures      failed logins and bad links per client address within {@code window}
     * @param resetRequests   reset requests per address within {@code window} (ten times as many per client)
     * @param window          how long attempts count together
     * @param lockout         how long a lock or block lasts
     * @param mailCooldown    at most one mail per address in this time
     */
    public record Limits(int loginFailures, int ipFailures, int resetRequests, Duration window, Duration lockout,
                         Duration mailCooldown) {
    }

    private final Attempts attempts;
    private final SecretKeySpec secret;
    private final Attempts.Rule loginByAddress;
    private final Attempts.Rule failuresByIp;
    private final Attempts.Rule resetByAddress;
    private final Attempts.Rule resetByIp;
    private final Attempts.Rule mail;
    private final Duration longestWindow;

    public Throttle(Attempts attempts, byte[] secret, Limits limits) {
        this.attempts = attempts;
        this.secret = new SecretKeySpec(secret, "HmacSHA256");
        loginByAddress = new Attempts.Rule("login", limits.loginFailures(), limits.window(), limits.lockout());
        failuresByIp = new Attempts.Rule("ip-failures", limits.ipFailures(), limits.window(), limits.lockout());
        resetByAddress = new Attempts.Rule("reset", limits.resetRequests(), limits.window(), limits.lockout());
        resetByIp = new Attempts.Rule("reset-ip", Math.multiplyExact(limits.resetRequests(), 10), limits.window(), limits.lockout());
        mail = new Attempts.Rule("mail", 1, limits.mailCooldown(), limits.mailCooldown());
        longestWindow = limits.window().compareTo(limits.mailCooldown()) > 0 ? limits.window() : limits.mailCooldown();
    }

    /** Before checking a password: 429 if the client is blocked, 423 if the address is locked. */
    public void beforeLogin(String email, String ip) {
        refuseIfBlocked(failuresByIp, ip);
        attempts.blocked(loginByAddress, address(email)).ifPresent(left -> {
            throw locked(left);
        });
    }

    /** The answer while an address is locked for {@code left}. */
    public Failure locked(Duration left) {
        return new Failure(Failure.Reason.ACCOUNT_LOCKED, "too many failed logins for this address: it is locked until "
                + until(left) + "; try again then, or reset the password", "email", left);
    }

    /** Counts a failed login; returns how long the address is now locked if this failure locked it. */
    public Optional<Duration> loginFailed(String email, String ip) {
        attempts.record(failuresByIp, ip);
        return attempts.record(loginByAddress, address(email));
    }

    public void loginSucceeded(String email) {
        attempts.clear(loginByAddress, address(email));
    }

    /** Counts a reset request; 429 once the address or the client asked too often. */
    public void claimReset(String email, String ip) {
        refuseIfBlocked(resetByIp, ip);
        refuseIfBlocked(resetByAddress, address(email));
        attempts.record(resetByIp, ip);
        attempts.record(resetByAddress, address(email));
    }

    /** Before using a link: 429 if the client sent too many bad ones (or failed too many logins). */
    private void beforeLink(String ip) {
        refuseIfBlocked(failuresByIp, ip);
    }

    /** Counts a bad link from the client. */
    private void linkFailed(String ip) {
        attempts.record(failuresByIp, ip);
    }

    /**
     * Uses a mailed link for the client at {@code ip}: refused while it is blocked, and a failure
     * naming {@code field} (a bad or used token) counts against it, so links cannot be guessed at speed.
     */
    public void usingLink(String ip, String field, Runnable use) {
        beforeLink(ip);
        try {
            use.run();
        } catch (Failure e) {
            if (field.equals(e.param())) {
                linkFailed(ip);
            }
            throw e;
        }
    }

    /** Claims the address's one mail per cool-down; 429 with the time left if one was sent within it. */
    public void claimMail(String email) {
        String subject = address(email);
        refuseIfBlocked(mail, subject);
        attempts.record(mail, subject);
    }

    /** Deletes counters that neither count nor block any more. */
    public int sweep() {
        return attempts.sweep(longestWindow);
    }

    private void refuseIfBlocked(Attempts.Rule rule, String subject) {
        attempts.blocked(rule, subject).ifPresent(left -> {
            throw new Failure(Failure.Reason.RATE_LIMITED, "too many attempts; try again after " + until(left), null, left);
        });
    }

    private String until(Duration left) {
        return Instant.ofEpochMilli(attempts.now() + left.toMillis()).toString();
    }

    /** The address as counted: an HMAC, so the table holds no address and unknown ones count alike. */
    private String address(String email) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(secret);
            return HexFormat.of().formatHex(mac.doFinal(email.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
