package app.apimodels.testkit;

import app.apimodels.spi.provider.Operation;
import app.apimodels.spi.provider.Usage;

import java.time.Duration;
import java.util.List;

/**
 * A fake chat upstream for {@link ChatProviderContract}: it speaks one vendor's wire format
 * (OpenAI's in {@link MockOpenAiUpstream}; an integrator writes one for their own vendor) and can
 * be switched into the failures the contract checks. Every answer carries the same reply,
 * {@link #streamDeltas()} joined; a stream sends one delta per piece, slowly enough (tens of
 * milliseconds in all) that a client can cancel after the first. A fault switched on applies to
 * every following call until {@link #reset()}.
 */
public interface ChatUpstream extends AutoCloseable {

    /** The API root to configure as the provider's base URL. */
    String baseUrl();

    /** The pieces a streamed reply arrives in, at least three; joined, the whole reply. */
    List<String> streamDeltas();

    /** The whole reply text. */
    default String completionText() {
        return String.join("", streamDeltas());
    }

    /** The usage every answer reports (the input tokens of embeddings, input and output of chat). */
    Usage usage();

    /** Reports {@code usage} from now on (those of its fields the vendor's format has). */
    ChatUpstream usage(Usage usage);

    /** Answers every call with {@code status} and an error in the vendor's shape. */
    ChatUpstream respondWithError(int status);

    /**
     * Answers every call with {@code status} and an error in the vendor's shape carrying
     * {@code message} and, if the vendor's errors name fields, {@code param}.
     */
    ChatUpstream respondWithError(int status, String message, String param);

    /** Delays every answer, head included. */
    ChatUpstream delayResponses(Duration delay);

    /** Resets every connection instead of answering. */
    ChatUpstream resetConnections();

    /**
     * Ends every stream cleanly at the HTTP level after the first two deltas, without the
     * vendor's end-of-stream marker: what a client sees when the upstream dies behind a proxy.
     */
    ChatUpstream cutStreams();

    /** Breaks every stream at the HTTP level (a malformed chunk, then the connection closes). */
    ChatUpstream breakStreams();

    /** Leaves the usage out of streamed answers. */
    ChatUpstream omitStreamUsage();

    /** Back to normal answers with the default usage; also forgets the requests received. */
    void reset();

    /**
     * Fails unless the upstream received a call for {@code operation} ({@code CHAT} or
     * {@code EMBEDDINGS}) naming {@code upstreamModel}, streamed if {@code stream}.
     */
    void verifyReceived(Operation operation, String upstreamModel, boolean stream);

    @Override
    void close();
}
