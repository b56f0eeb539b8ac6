package app.apimodels.spi.provider;

import app.apimodels.spi.http.HttpRequestSpec;
import app.apimodels.spi.http.HttpResponseData;
import app.apimodels.spi.http.HttpTransport;

import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/** The request/answer exchange every provider of a JSON API makes, with failures classified. */
public final class UpstreamCalls {

    private UpstreamCalls() {
    }

    /**
     * Sends {@code spec} and reads a 2xx answer with {@code reader}. Transport failures become
     * {@link ProviderException#fromTransport}, other statuses {@code onStatus}'s exception, and an
     * answer {@code reader} cannot read (any exception but a {@code ProviderException}) an
     * {@code UPSTREAM_ERROR}. Cancelling the returned future stops the upstream call.
     */
    public static <T> CompletableFuture<T> exchange(HttpTransport transport, HttpRequestSpec spec,
                                                    Function<HttpResponseData, T> reader,
                                                    Function<HttpResponseData, ProviderException> onStatus) {
        CompletableFuture<T> result = new CompletableFuture<>();
        CompletableFuture<HttpResponseData> sent = transport.send(spec);
        sent.whenComplete((response, failure) -> {
            if (failure != null) {
                result.completeExceptionally(ProviderException.fromTransport(failure));
            } else if (response.status() / 100 != 2) {
                result.completeExceptionally(onStatus.apply(response));
            } else {
                try {
                    result.complete(reader.apply(response));
                } catch (ProviderException e) {
                    result.completeExceptionally(e);
                } catch (RuntimeException e) {
                    result.completeExceptionally(new ProviderException(ProviderException.Kind.UPSTREAM_ERROR,
                            "upstream sent a malformed answer", e));
                }
            }
        });
        result.whenComplete((value, failure) -> {
            if (result.isCancelled()) {
                sent.cancel(true);
            }
        });
        return result;
    }

    /**
     * The same for a request still being built off the caller's thread (a multipart body read from
     * storage): sent once {@code prepared} completes, never if the returned future was cancelled
     * first. Failing to build it fails the call as {@link ProviderException#fromTransport} says (a
     * {@code ProviderException} as it is).
     */
    public static <T> CompletableFuture<T> exchange(HttpTransport transport, CompletableFuture<HttpRequestSpec> prepared,
                                                    Function<HttpResponseData, T> reader,
                                                    Function<HttpResponseData, ProviderException> onStatus) {
        CompletableFuture<T> result = new CompletableFuture<>();
        prepared.whenComplete((spec, preparation) -> {
            if (preparation != null) {
                result.completeExceptionally(ProviderException.fromTransport(preparation));
            } else if (!result.isDone()) {
                CompletableFuture<T> sent = exchange(transport, spec, reader, onStatus);
                sent.whenComplete((value, failure) -> {
                    if (failure != null) {
                        result.completeExceptionally(failure);
                    } else {
                        result.complete(value);
                    }
                });
                result.whenComplete((value, failure) -> {
                    if (result.isCancelled()) {
                        sent.cancel(true);
                    }
                });
            }
        });
        return result;
    }
}
