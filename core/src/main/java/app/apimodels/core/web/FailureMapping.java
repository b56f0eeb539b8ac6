package app.apimodels.core.web;

import app.apimodels.core.failure.Failure;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one place where a {@link Failure} becomes HTTP: its status, its error code string (OpenAI's
 * {@code error.code}, the last part of the RFC 9457 {@code type}) and its headers.
 * {@link ErrorRenderer} then gives it the shape of the endpoint family.
 */
public final class FailureMapping {

    private FailureMapping() {
    }

    public static int status(Failure.Reason reason) {
        return switch (reason) {
            case INVALID -> 400;
            case UNAUTHENTICATED, INVALID_CREDENTIALS -> 401;
            case EMAIL_NOT_VERIFIED, SIGNUP_CLOSED, CSRF_REJECTED, POLICY_NOT_ACCEPTED -> 403;
            case ACCOUNT_LOCKED -> 423;
            case INSUFFICIENT_CREDITS -> 402;
            case MODEL_NOT_ALLOWED, ACCOUNT_RESTRICTED -> 403;
            case NOT_FOUND, MODEL_NOT_FOUND -> 404;
            case EMAIL_TAKEN, PROVIDER_IN_USE, IDEMPOTENCY_CONFLICT -> 409;
            case TOO_LARGE -> 413;
            case UNSUPPORTED_MEDIA_TYPE -> 415;
            case RATE_LIMITED, UPSTREAM_RATE_LIMITED -> 429;
            case INTERNAL -> 500;
            case UPSTREAM_FAILED -> 502;
            case STORAGE_UNAVAILABLE, UNAVAILABLE, SHUTTING_DOWN -> 503;
            case UPSTREAM_TIMEOUT -> 504;
        };
    }

    public static String code(Failure.Reason reason) {
        return switch (reason) {
            case INVALID -> "invalid_request";
            case UNAUTHENTICATED -> "invalid_api_key";
            case INVALID_CREDENTIALS -> "invalid_credentials";
            case EMAIL_NOT_VERIFIED -> "email_not_verified";
            case SIGNUP_CLOSED -> "signup_closed";
            case CSRF_REJECTED -> "csrf_rejected";
            case POLICY_NOT_ACCEPTED -> "policy_not_accepted";
            case ACCOUNT_LOCKED -> "account_locked";
            case INSUFFICIENT_CREDITS -> "insufficient_credits";
            case MODEL_NOT_ALLOWED -> "model_not_allowed";
            case ACCOUNT_RESTRICTED -> "account_restricted";
            case NOT_FOUND -> "not_found";
            case MODEL_NOT_FOUND -> "model_not_found";
            case EMAIL_TAKEN -> "email_taken";
            case PROVIDER_IN_USE -> "provider_in_use";
            case IDEMPOTENCY_CONFLICT -> "idempotency_conflict";
            case TOO_LARGE -> "file_too_large";
            case UNSUPPORTED_MEDIA_TYPE -> "unsupported_media_type";
            case RATE_LIMITED -> "rate_limited";
            case UPSTREAM_RATE_LIMITED -> "upstream_rate_limited";
            case UPSTREAM_FAILED -> "upstream_error";
            case UPSTREAM_TIMEOUT -> "upstream_timeout";
            case STORAGE_UNAVAILABLE -> "storage_unavailable";
            case UNAVAILABLE -> "unavailable";
            case SHUTTING_DOWN -> "shutting_down";
            case INTERNAL -> "internal_error";
        };
    }

    /** The failure as the web layer's error: status, code, safe message, field, headers. */
    public static ApiException toApi(Failure f) {
        Map<String, String> headers = new LinkedHashMap<>();
        if (f.reason() == Failure.Reason.UNAUTHENTICATED) {
            headers.put("WWW-Authenticate", "Bearer");
        }
        // Rounded up: a client told to come back a moment early would only be refused again.
        f.retryAfter().ifPresent(d -> headers.put("Retry-After", Long.toString(Math.max(1, (d.toMillis() + 999) / 1000))));
        return new ApiException(status(f.reason()), code(f.reason()), f.getMessage(), f.param(), headers);
    }
}
