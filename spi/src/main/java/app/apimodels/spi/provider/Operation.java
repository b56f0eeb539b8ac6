package app.apimodels.spi.provider;

/** What a provider client can be asked to do. */
public enum Operation {
    CHAT, EMBEDDINGS, IMAGES, SPEECH, TRANSCRIPTION,
    /** Video generation (an asynchronous task). */
    VIDEO,
    /** Audio generation other than text-to-speech: music, sound effects (an asynchronous task). */
    AUDIO
}
