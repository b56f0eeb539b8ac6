package app.apimodels.spi.provider;

/** What a provider client can be asked to do. */
public enum Operation {
    CHAT, EMBEDDINGS, IMAGES, SPEECH, TRANSCRIPTION
}
