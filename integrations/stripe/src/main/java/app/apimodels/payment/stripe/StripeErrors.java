package app.apimodels.payment.stripe;

import app.apimodels.spi.payment.PaymentException;
import com.stripe.exception.ApiConnectionException;
import com.stripe.exception.AuthenticationException;
import com.stripe.exception.PermissionException;
import com.stripe.exception.RateLimitException;
import com.stripe.exception.StripeException;

/**
 * Turns stripe-java's exceptions into {@link PaymentException}s. Messages are made from the HTTP
 * status, Stripe's error code and request id (what Stripe's support asks for), never from the
 * library's text: that can quote request parameters.
 */
final class StripeErrors {

    /** A call to Stripe. */
    @FunctionalInterface
    interface Call<T> {
        T run() throws StripeException;
    }

    private StripeErrors() {
    }

    static PaymentException failure(String what, StripeException e) {
        Integer status = e.getStatusCode();
        boolean retryable = e instanceof RateLimitException || e instanceof ApiConnectionException
                // 409: a request with the same idempotency key is still running at Stripe
                || (status != null && (status == 409 || status >= 500));
        StringBuilder message = new StringBuilder("Stripe failed ").append(what).append(": ");
        if (e instanceof ApiConnectionException) {
            message.append("could not reach the Stripe API (network error or timeout)");
        } else if (e instanceof AuthenticationException) {
            message.append("the API key was refused (check apimodels.stripe.secret-key)");
        } else if (e instanceof PermissionException) {
            message.append("the API key may not do this (a restricted key lacks the permission)");
        } else if (e instanceof RateLimitException) {
            message.append("rate limited");
        } else if (status != null && status == 404) {
            message.append("no such object at Stripe");
        } else {
            message.append("HTTP ").append(status);
        }
        if (e.getCode() != null) {
            message.append(", code ").append(e.getCode());
        }
        if (e.getRequestId() != null) {
            message.append(", request ").append(e.getRequestId());
        }
        return new PaymentException(message.toString(), retryable, null);
    }
}
