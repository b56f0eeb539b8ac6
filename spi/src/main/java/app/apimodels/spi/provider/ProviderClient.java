package app.apimodels.spi.provider;

import app.apimodels.spi.http.Cancellable;

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

    /** A cheap check that the upstream answers and accepts our credentials. */
    default CompletableFuture<Boolean> probe() {
        return CompletableFuture.completedFuture(true);
    }

    @Override
    default void close() {
    }
}
