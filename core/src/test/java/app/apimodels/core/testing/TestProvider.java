package app.apimodels.core.testing;

import app.apimodels.spi.http.Cancellable;
import app.apimodels.spi.http.HttpTransport;
import app.apimodels.spi.provider.ModelProvider;
import app.apimodels.spi.provider.Operation;
import app.apimodels.spi.provider.ProviderClient;
import app.apimodels.spi.provider.ProviderConfig;
import app.apimodels.spi.provider.ProviderException;
import app.apimodels.spi.provider.ProviderRequest;
import app.apimodels.spi.provider.ProviderResult;
import app.apimodels.spi.provider.StreamSink;
import app.apimodels.spi.provider.Usage;

import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * A provider of type {@code test} answering in process: a fixed chat answer (11 in, 5 out tokens),
 * or, when {@link #hang} is set, calls that never answer and are handed to the test to watch.
 */
public final class TestProvider implements ModelProvider {

    public static final Usage USAGE = Usage.tokens(11, 0, 5);

    /** Calls left pending while {@link #hang} is set, in arrival order. */
    public final BlockingQueue<CompletableFuture<ProviderResult>> pending = new LinkedBlockingQueue<>();
    public volatile boolean hang;

    @Override
    public String type() {
        return "test";
    }

    @Override
    public ProviderClient create(ProviderConfig config, HttpTransport transport) {
        return new ProviderClient() {
            @Override
            public Set<Operation> operations() {
                return EnumSet.of(Operation.CHAT, Operation.EMBEDDINGS, Operation.IMAGES);
            }

            @Override
            public CompletableFuture<ProviderResult> call(ProviderRequest request) {
                if (hang) {
                    CompletableFuture<ProviderResult> f = new CompletableFuture<>();
                    pending.add(f);
                    return f;
                }
                String body = "{\"id\":\"c\",\"object\":\"chat.completion\",\"model\":\"" + request.upstreamModel()
                        + "\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"hello\"}}]}";
                return CompletableFuture.completedFuture(new ProviderResult(body.getBytes(StandardCharsets.UTF_8), "application/json", USAGE));
            }

            @Override
            public Cancellable stream(ProviderRequest request, StreamSink sink) {
                sink.onError(new ProviderException(ProviderException.Kind.UPSTREAM_ERROR, "the test provider does not stream", null));
                return () -> { };
            }

            @Override
            public void close() {
            }
        };
    }
}
