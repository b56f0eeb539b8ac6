package app.apimodels.spi.provider;

/** What a provider client can be asked to do. */
public enum Operation {
    CHAT, EMBEDDINGS, IMAGES, SPEECH, TRANSCRIPTION,
    /**
     * OpenAI's Responses API ({@code POST /responses}), passed through as the client sent it; streamed
     * as Responses events ({@link StreamChunk#event()} names each), usage from {@code response.completed}.
     */
    RESPONSES,
    /** Video generation (an asynchronous task). */
    VIDEO,
    /** Audio generation other than text-to-speech: music, sound effects (an asynchronous task). */
    AUDIO,
    /**
     * Anthropic's Messages API passed through: the payload is a Messages request (only its
     * {@code model} and {@code stream} set by the engine), the answer a Messages response or its
     * named events, as the upstream sent them.
     */
    MESSAGES,
    /** Anthropic's {@code /v1/messages/count_tokens} passed through: the answer is the upstream's. */
    COUNT_TOKENS
}
