package app.apimodels.spi.provider;

/**
 * Receives a streamed answer. Calls come from one thread at a time, in order: any number of
 * {@code onChunk} and at most one {@code onUsage}, then exactly one of {@code onComplete} or
 * {@code onError} — unless the stream was cancelled, after which nothing more is delivered.
 */
public interface StreamSink {
    void onChunk(StreamChunk chunk);

    /**
     * Runs {@code next} once what this sink was given so far has been taken by whoever it passes it
     * on to (a slow client), at once if it has, otherwise later from another thread: a provider
     * that reads its upstream with backpressure asks for the next piece only then, so a client that
     * reads slowly holds back its own stream and no thread. The default, for sinks that pass every
     * chunk on before returning, runs it at once.
     */
    default void whenReady(Runnable next) {
        next.run();
    }

    /** The upstream's usage report (normally with or just before the last chunk). */
    void onUsage(Usage usage);

    void onComplete();

    /**
     * The stream failed. If no chunk was delivered yet the caller may retry elsewhere; after a
     * chunk it must not.
     */
    void onError(ProviderException error);
}
