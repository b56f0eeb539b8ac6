package app.apimodels.servlet.probe;

import app.apimodels.spi.http.Cancellable;
import app.apimodels.spi.provider.Operation;
import app.apimodels.spi.provider.ProviderClient;
import app.apimodels.spi.provider.ProviderException;
import app.apimodels.spi.provider.ProviderRequest;
import app.apimodels.spi.provider.ProviderResult;
import app.apimodels.spi.provider.StreamSink;
import app.apimodels.spi.provider.Usage;

import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/** A chat-only client whose replies, in OpenAI's format, come from a function of the request. */
final class Completions implements ProviderClient {

    private final Supplier<CompletableFuture<String>> reply;

    Completions(Supplier<CompletableFuture<String>> reply) {
        this.reply = reply;
    }

    @Override
    public Set<Operation> operations() {
        return Set.of(Operation.CHAT);
    }

    @Override
    public CompletableFuture<ProviderResult> call(ProviderRequest request) {
        return reply.get().thenApply(text -> new ProviderResult(("{\"id\":\"chatcmpl-probe\",\"object\":\"chat.completion\","
                + "\"created\":0,\"model\":\"" + request.upstreamModel() + "\",\"choices\":[{\"index\":0,\"message\":"
                + "{\"role\":\"assistant\",\"content\":\"" + text + "\"},\"finish_reason\":\"stop\"}],"
                + "\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2}}").getBytes(StandardCharsets.UTF_8),
                "application/json", Usage.tokens(1, 0, 1)));
    }

    @Override
    public Cancellable stream(ProviderRequest request, StreamSink sink) {
        sink.onError(new ProviderException(ProviderException.Kind.UPSTREAM_CONFIG, 0, "no streams here", null, null));
        return () -> { };
    }
}
