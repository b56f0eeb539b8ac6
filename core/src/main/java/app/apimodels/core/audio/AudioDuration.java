package app.apimodels.core.audio;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * The playing time of an audio file, measured from its container's own headers and frames — never
 * taken from what a client says. Recognised by their first bytes: WAV (RIFF/WAVE, data size ÷ byte
 * rate), FLAC (STREAMINFO's sample count), MP3 (every MPEG audio frame counted), MP4/M4A (the movie
 * header's duration), Ogg Vorbis/Opus/FLAC (the last page's granule position) and WebM/Matroska
 * (the segment's duration, else the last block's timestamp). No library reads all of these without
 * native code, and each needs only a few header fields.
 */
public final class AudioDuration {

    /** Longer than any real recording (a day): a header claiming more is not believed. */
    static final double MAX_SECONDS = 86_400;

    private AudioDuration() {
    }

    /**
     * A measured audio file.
     *
     * @param contentType its container's media type, from its bytes ({@code audio/mpeg}, {@code audio/ogg}…)
     * @param seconds     its playing time
     */
    public record Audio(String contentType, double seconds) {
    }

    /** The file's type and duration, or empty if it is no audio file this class can measure. */
    public static Optional<Audio> of(Path file) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            Audio audio = measure(new Reader(channel));
            return audio.seconds() > 0 && audio.seconds() <= MAX_SECONDS ? Optional.of(audio) : Optional.empty();
        } catch (IOException | ArithmeticException e) {
            // A truncated or inconsistent header (EOF, a zero rate): not measurable.
            return Optional.empty();
        }
    }

    private static Audio measure(Reader r) throws IOException {
        if (r.at("RIFF")) {
            return new Audio("audio/wav", Wav.seconds(r));
        }
        if (r.at("fLaC")) {
            return new Audio("audio/flac", Flac.seconds(r));
        }
        if (r.at("OggS")) {
            return new Audio("audio/ogg", Ogg.seconds(r));
        }
        if (r.size() >= 8) {
            r.seek(4);
            boolean mp4 = r.at("ftyp");
            r.seek(0);
            if (mp4) {
                return new Audio("audio/mp4", Mp4.seconds(r));
            }
        }
        if (r.size() >= 4 && r.u32be() == Matroska.EBML) {
            r.seek(0);
            return new Audio("audio/webm", Matroska.seconds(r));
        }
        r.seek(0);
        return new Audio("audio/mpeg", Mp3.seconds(r));
    }

    /** A header that does not hold up. */
    static IOException unreadable(String what) {
        return new IOException(what);
    }
}
