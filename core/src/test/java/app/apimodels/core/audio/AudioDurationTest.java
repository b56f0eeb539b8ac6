package app.apimodels.core.audio;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Durations measured from real encoders' files (FFmpeg, see the README beside them): a 2.5 s tone
 * in every container clients send. Encoders pad (MP3 frames, Opus pre-roll, AAC priming), so a
 * file may honestly hold a little more than 2.5 s: the expected values are what ffprobe reports,
 * and for MP4 the samples its table lists (ffprobe's 2.5 s leaves out the priming an edit list cuts).
 */
class AudioDurationTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @CsvSource({
            "tone.wav, 2.5, audio/wav",
            "tone.flac, 2.5, audio/flac",
            "tone.mp3, 2.592, audio/mpeg",
            "tone-vbr.mp3, 2.592, audio/mpeg",
            "tone.m4a, 2.564, audio/mp4",
            "tone-faststart.m4a, 2.564, audio/mp4",
            "tone.ogg, 2.5, audio/ogg",
            "tone.opus, 2.5, audio/ogg",
            "tone.webm, 2.508, audio/webm",
            "tone-live.webm, 2.5, audio/webm",
    })
    void measuresEachContainer(String file, double expected, String contentType) throws IOException {
        Optional<AudioDuration.Audio> audio = AudioDuration.of(copy(file));

        assertThat(audio).isPresent();
        assertThat(audio.get().seconds()).isCloseTo(expected, within(0.05));
        assertThat(audio.get().contentType()).isEqualTo(contentType);
    }

    @Test
    void aFragmentedMp4WithoutATotalIsNotMeasured() throws IOException {
        assertThat(AudioDuration.of(copy("tone-fragmented.m4a"))).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"tone.wav", "tone.flac", "tone.mp3", "tone.m4a", "tone-faststart.m4a", "tone.ogg", "tone.opus", "tone.webm"})
    void aFileCutToItsFirstBytesIsNotMeasured(String file) throws IOException {
        byte[] whole = bytes(file);
        Path cut = dir.resolve("cut-" + file);
        Files.write(cut, Arrays.copyOf(whole, 40));

        // 40 bytes hold a header at most, no audio: nothing to bill for, whatever the header promises.
        assertThat(AudioDuration.of(cut)).isEmpty();
    }

    @Test
    void aSmallDeclaredDurationInFrontOfALongRecordingIsNotBelieved() throws IOException {
        // FLAC's STREAMINFO total (36 bits after the 20-bit rate, 3-bit channels and 5-bit depth) set to one second.
        byte[] flac = bytes("tone.flac");
        long packed = java.nio.ByteBuffer.wrap(flac, 18, 8).getLong();
        long oneSecond = (packed & ~0xFFFFFFFFFL) | (packed >>> 44);
        java.nio.ByteBuffer.wrap(flac, 18, 8).putLong(oneSecond);
        Path file = dir.resolve("lying.flac");
        Files.write(file, flac);

        assertThat(AudioDuration.of(file).orElseThrow().seconds()).isCloseTo(2.5, within(0.05));
    }

    @Test
    void randomBytesTextAndEmptyFilesAreNotAudio() throws IOException {
        byte[] noise = new byte[100_000];
        new Random(7).nextBytes(noise);
        Files.write(dir.resolve("noise"), noise);
        Files.writeString(dir.resolve("text"), "this is not audio, ".repeat(1000));
        Files.write(dir.resolve("empty"), new byte[0]);

        assertThat(AudioDuration.of(dir.resolve("noise"))).isEmpty();
        assertThat(AudioDuration.of(dir.resolve("text"))).isEmpty();
        assertThat(AudioDuration.of(dir.resolve("empty"))).isEmpty();
    }

    @Test
    void aWavHeaderPromisingMoreDataThanTheFileHoldsIsMeasuredByWhatIsThere() throws IOException {
        byte[] wav = bytes("tone.wav");
        byte[] half = Arrays.copyOf(wav, 44 + (wav.length - 44) / 2);

        Path file = dir.resolve("half.wav");
        Files.write(file, half);

        assertThat(AudioDuration.of(file).orElseThrow().seconds()).isCloseTo(1.25, within(0.01));
    }

    private Path copy(String name) throws IOException {
        Path file = dir.resolve(name);
        Files.write(file, bytes(name));
        return file;
    }

    private static byte[] bytes(String name) throws IOException {
        try (InputStream in = AudioDurationTest.class.getResourceAsStream(name)) {
            assertThat(in).as(name).isNotNull();
            return in.readAllBytes();
        }
    }
}
