package app.apimodels.transport.jetty;

import app.apimodels.spi.http.HttpBodyHandler;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/** A stream's whole body as text once it ends well (it must answer 200), or its failure. */
final class CollectedBody implements HttpBodyHandler {
    final CompletableFuture<String> body = new CompletableFuture<>();
    private final StringBuilder text = new StringBuilder();

    @Override
    public void onHead(int status, Map<String, String> headers) {
        assertThat(status).isEqualTo(200);
    }

    @Override
    public void onData(ByteBuffer data) {
        text.append(StandardCharsets.UTF_8.decode(data));
    }

    @Override
    public void onComplete() {
        body.complete(text.toString());
    }

    @Override
    public void onError(Throwable error) {
        body.completeExceptionally(error);
    }
}
