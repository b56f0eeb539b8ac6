package app.apimodels.spi.provider;

import app.apimodels.spi.http.Cancellable;
import app.apimodels.spi.webhook.InboundWebhook;
import app.apimodels.spi.webhook.WebhookVerificationException;

import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * A configured upstream. Methods never block; failures are {@link ProviderException}s
 * (completing the future exceptionally, or through {@link StreamSink#onError}).
 */
public interface ProviderClient extends AutoCloseable {

    Set<Operation> operations();

    /** A non-streamed call. */
    CompletableFuture<ProviderResult> call(ProviderRequest request);

    /**
     * A streamed call. The client asks the upstream to report usage when it can. Cancelling
     * stops the upstream request; nothing is delivered to the sink afterwards.
     */
    Cancellable stream(ProviderRequest request, StreamSink sink);

    /**
     * Starts a generation task (image, video, audio, speech). An asynchronous upstream answers
     * with its task id and QUEUED or RUNNING; a synchronous one may answer with the finished
     * result (SUCCEEDED with outputs, or FAILED). Failing with a {@link ProviderException} means
     * the task was not accepted (the engine may try the next route if the kind is retryable).
     */
    default CompletableFuture<TaskUpdate> submit(TaskRequest request) {
        return CompletableFuture.failedFuture(unsupported("generation tasks"));
    }

    /** Asks the upstream where task {@code upstreamId} stands. */
    default CompletableFuture<TaskUpdate> poll(String upstreamId) {
        return CompletableFuture.failedFuture(unsupported("polling tasks"));
    }

    /** Asks the upstream to stop task {@code upstreamId}; best effort (the engine stops paying either way). */
    default CompletableFuture<Void> cancel(String upstreamId) {
        return CompletableFuture.completedFuture(null);
    }

    /**
     * Verifies a webhook the upstream posted to {@code /webhooks/providers/{id}} and reads the task
     * update in it. Empty if it is genuine but not about a task (a ping, another event).
     *
     * @throws WebhookVerificationException if it is not genuine (bad signature, too old) or unreadable
     */
    default Optional<TaskUpdate> parseWebhook(InboundWebhook webhook) {
        throw new WebhookVerificationException("this provider does not send webhooks");
    }

    private static ProviderException unsupported(String what) {
        return new ProviderException(ProviderException.Kind.UPSTREAM_CONFIG, 0,
                "this provider does not support " + what, null, null);
    }

    /** A cheap check that the upstream answers and accepts our credentials. */
    default CompletableFuture<Boolean> probe() {
        return CompletableFuture.completedFuture(true);
    }

    @Override
    default void close() {
    }
}
