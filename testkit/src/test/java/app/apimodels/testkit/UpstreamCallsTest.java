package app.apimodels.testkit;

import app.apimodels.spi.http.Cancellable;
import app.apimodels.spi.http.HttpBodyHandler;
import app.apimodels.spi.http.HttpRequestSpec;
import app.apimodels.spi.http.HttpResponseData;
import app.apimodels.spi.http.HttpTransport;
import app.apimodels.spi.http.TransportException;
import app.apimodels.spi.provider.ProviderException;
import app.apimodels.spi.provider.UpstreamCalls;
import org.junit.jupiter.api.Test;

import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * {@link UpstreamCalls}, the one exchange of every provider's non-streamed calls, on a transport
 * the test answers by hand: a request still being built is sent once it is ready and never after
 * the caller gave up, a failure to build it fails the call, and a cancelled call stops the upstream's.
 */
class UpstreamCallsTest {

    static final HttpRequestSpec SPEC = HttpRequestSpec.get(URI.create("http://upstream.invalid/v1/models"), Map.of(), Duration.ofSeconds(5));
    static final Function<HttpResponseData, String> TEXT = r -> new String(r.body(), StandardCharsets.UTF_8);
    static final Function<HttpResponseData, ProviderException> REFUSED =
            r -> new ProviderException(ProviderException.Kind.UPSTREAM_ERROR, r.status(), "refused " + r.status(), null, null);

    /** Records what is sent and answers each when the test says. */
    static final class HandTransport implements HttpTransport {
        final List<HttpRequestSpec> sent = new CopyOnWriteArrayList<>();
        final List<CompletableFuture<HttpResponseData>> answers = new CopyOnWriteArrayList<>();

        @Override
        public CompletableFuture<HttpResponseData> send(HttpRequestSpec request) {
            sent.add(request);
            CompletableFuture<HttpResponseData> answer = new CompletableFuture<>();
            answers.add(answer);
            return answer;
        }

        @Override
        public Cancellable stream(HttpRequestSpec request, HttpBodyHandler handler) {
            throw new UnsupportedOperationException("not streamed here");
        }

        @Override
        public void close() {
        }
    }

    final HandTransport transport = new HandTransport();

    static ProviderException failure(CompletableFuture<?> call) {
        Throwable thrown = catchThrowable(call::join);
        assertThat(thrown).isInstanceOf(CompletionException.class);
        assertThat(thrown.getCause()).isInstanceOf(ProviderException.class);
        return (ProviderException) thrown.getCause();
    }

    @Test
    void aPreparedRequestIsSentWhenReadyAndItsAnswerRead() {
        CompletableFuture<HttpRequestSpec> prepared = new CompletableFuture<>();
        CompletableFuture<String> call = UpstreamCalls.exchange(transport, prepared, TEXT, REFUSED);

        assertThat(transport.sent).isEmpty();
        prepared.complete(SPEC);
        assertThat(transport.sent).containsExactly(SPEC);
        transport.answers.get(0).complete(new HttpResponseData(200, Map.of(), "fine".getBytes(StandardCharsets.UTF_8)));

        assertThat(call.join()).isEqualTo("fine");
    }

    @Test
    void aCallCancelledWhileItsRequestIsBuiltIsNeverSent() {
        CompletableFuture<HttpRequestSpec> prepared = new CompletableFuture<>();
        CompletableFuture<String> call = UpstreamCalls.exchange(transport, prepared, TEXT, REFUSED);

        assertThat(call.cancel(true)).isTrue();
        prepared.complete(SPEC);

        assertThat(transport.sent).isEmpty();
    }

    @Test
    void aCallCancelledInFlightCancelsTheUpstreamCall() {
        CompletableFuture<HttpRequestSpec> prepared = new CompletableFuture<>();
        CompletableFuture<String> call = UpstreamCalls.exchange(transport, prepared, TEXT, REFUSED);
        prepared.complete(SPEC);

        call.cancel(true);

        assertThat(transport.answers).singleElement().satisfies(answer -> assertThat(answer).isCancelled());
    }

    @Test
    void aRequestThatCannotBeBuiltFailsTheCall() {
        ProviderException own = new ProviderException(ProviderException.Kind.INVALID_REQUEST, "image_url could not be read", null);
        assertThat(failure(UpstreamCalls.exchange(transport, CompletableFuture.failedFuture(own), TEXT, REFUSED))).isSameAs(own);

        CompletableFuture<HttpRequestSpec> broken = CompletableFuture.supplyAsync(() -> {
            throw new UncheckedIOException(new java.io.IOException("disk gone"));
        });
        ProviderException other = failure(UpstreamCalls.exchange(transport, broken, TEXT, REFUSED));
        assertThat(other.kind()).isEqualTo(ProviderException.Kind.NETWORK);
        assertThat(other.getMessage()).doesNotContain("disk gone");
        assertThat(transport.sent).isEmpty();
    }

    @Test
    void statusesTransportFailuresAndUnreadableAnswersAreClassified() {
        CompletableFuture<String> refused = UpstreamCalls.exchange(transport, SPEC, TEXT, REFUSED);
        transport.answers.get(0).complete(new HttpResponseData(503, Map.of(), new byte[0]));
        assertThat(failure(refused).getMessage()).isEqualTo("refused 503");

        CompletableFuture<String> unreachable = UpstreamCalls.exchange(transport, SPEC, TEXT, REFUSED);
        transport.answers.get(1).completeExceptionally(new TransportException(TransportException.Kind.CONNECT, "refused", null));
        assertThat(failure(unreachable).kind()).isEqualTo(ProviderException.Kind.CONNECT);

        CompletableFuture<Integer> unreadable = UpstreamCalls.exchange(transport, SPEC, r -> Integer.parseInt(TEXT.apply(r)), REFUSED);
        transport.answers.get(2).complete(new HttpResponseData(200, Map.of(), "fine".getBytes(StandardCharsets.UTF_8)));
        assertThat(failure(unreadable).kind()).isEqualTo(ProviderException.Kind.UPSTREAM_ERROR);
    }
}
