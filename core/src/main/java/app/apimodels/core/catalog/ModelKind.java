package app.apimodels.core.catalog;

import java.util.Locale;

/** What a model does; decides which endpoints serve it. */
public enum ModelKind {
    CHAT, EMBEDDING, IMAGE, VIDEO, AUDIO, SPEECH, TRANSCRIPTION;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
