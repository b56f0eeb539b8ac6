package app.apimodels.spi.provider;

/**
 * Receives a streamed answer. Calls come from one thread at a time, in order: any number of
 * {@code onChunk} and at most one {@code onUsage}, then exactly one of {@code onComplete} or
 * {@code onError} — unless the stream was cancelled, after which nothing more is delivered.
 */
public interface StreamSink {
    void onChunk(StreamChunk chunk);

    /** The upstream's usage report (normally with or just before the last chunk). */
    void onUsage(Usage usage);

    void onComplete();

    /**
     * The stream failed. If no chunk was delivered yet the caller may retry elsewhere; after a
     * chunk it must not.
     */
    void onError(ProviderException error);
}
