package app.apimodels.core.failure;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Why an operation of the engine could not be done, said so that a client may read it: the
 * services throw it and know nothing of HTTP; the web layer turns it into a status and an error
 * body, in one place. The message is safe to show (no secret, no other account's data, no
 * library text); {@link #param()} names the request field at fault, if one is.
 */
public final class Failure extends RuntimeException {

    /** What went wrong, as a client would act on it. */
    public enum Reason {
        /** The request is malformed or asks for something not allowed; {@link #param()} names the field. */
        INVALID,
        /** No valid credentials. */
        UNAUTHENTICATED,
        /** An e-mail and password that do not match an account (the same whether or not the address is known). */
        INVALID_CREDENTIALS,
        /** The right password, but the address has yet to be verified by its link. */
        EMAIL_NOT_VERIFIED,
        /** Sign-up is closed, or needs an invitation the request lacks. */
        SIGNUP_CLOSED,
        /** A browser session's state-changing call without its CSRF token or from another origin. */
        CSRF_REJECTED,
        /** A policy version is in force that the account has yet to accept. */
        POLICY_NOT_ACCEPTED,
        /** Too many failed logins for this address: locked for a while. */
        ACCOUNT_LOCKED,
        /** The wallet (or the key's spend limit) cannot cover the worst case. */
        INSUFFICIENT_CREDITS,
        /** The key may not use the model it names. */
        MODEL_NOT_ALLOWED,
        /** The account's holder restricted processing: no calls until it is lifted. */
        ACCOUNT_RESTRICTED,
        /** The thing named does not exist (or is another account's). */
        NOT_FOUND,
        /** The model named is not in the catalog. */
        MODEL_NOT_FOUND,
        /** The e-mail address belongs to another account. */
        EMAIL_TAKEN,
        /** A provider cannot go while models route to it. */
        PROVIDER_IN_USE,
        /** An idempotency key was used before for something else, or is still being answered. */
        IDEMPOTENCY_CONFLICT,
        /** A file is larger than allowed. */
        TOO_LARGE,
        /** A file is not of a media type accepted here. */
        UNSUPPORTED_MEDIA_TYPE,
        /** The caller tried too often or is over one of its abuse limits (requests, tokens or calls at once); {@link #retryAfter()} says when to try again. */
        RATE_LIMITED,
        /** Every upstream for the model is rate limited. */
        UPSTREAM_RATE_LIMITED,
        /** The upstream failed or refused. */
        UPSTREAM_FAILED,
        /** The upstream did not answer in time. */
        UPSTREAM_TIMEOUT,
        /** The storage cannot be reached now. */
        STORAGE_UNAVAILABLE,
        /** The ledger or the database cannot be reached now, every route of the model is failing, or none can be called on this node. */
        UNAVAILABLE,
        /** The engine is stopping. */
        SHUTTING_DOWN,
        /** A defect; the message carries a reference to the log, nothing more. */
        INTERNAL
    }

    private final Reason reason;
    private final String param;
    private final Duration retryAfter;

    public Failure(Reason reason, String message, String param, Duration retryAfter) {
        // Expected outcomes, thrown often: a stack trace would cost and say nothing.
        super(Objects.requireNonNull(message, "message"), null, false, false);
        this.reason = Objects.requireNonNull(reason, "reason");
        this.param = param;
        this.retryAfter = retryAfter;
    }

    public Failure(Reason reason, String message, String param) {
        this(reason, message, param, null);
    }

    public Failure(Reason reason, String message) {
        this(reason, message, null, null);
    }

    /** The request field {@code param} is at fault. */
    public static Failure invalid(String param, String message) {
        return new Failure(Reason.INVALID, message, param);
    }

    /** "{what} not found". */
    public static Failure notFound(String what) {
        return new Failure(Reason.NOT_FOUND, what + " not found");
    }

    public Reason reason() {
        return reason;
    }

    /** The request field at fault, or null. */
    public String param() {
        return param;
    }

    /** How long a client should wait before trying again, when trying again can help. */
    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }

    @Override
    public String toString() {
        return "Failure[" + reason + (param == null ? "" : ", " + param) + "]: " + getMessage();
    }
}
