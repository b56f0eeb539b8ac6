package app.apimodels.testkit;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;

/**
 * The files {@link MockReplicateUpstream} and {@link MockFalUpstream} serve as generation outputs:
 * small but real enough for content sniffing (a 1×1 PNG, an MP4 {@code ftyp} box, a WAV header
 * with a little silence, an MPEG audio frame header). Any other type gets a short text body.
 */
public final class MockMedia {

    private static final byte[] PNG = Base64.getDecoder().decode(
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=");

    private MockMedia() {
    }

    /** The bytes served for an output of {@code contentType}. */
    public static byte[] sample(String contentType) {
        return switch (contentType.toLowerCase(Locale.ROOT)) {
            case "image/png" -> PNG.clone();
            case "video/mp4" -> mp4();
            case "audio/wav", "audio/x-wav" -> wav();
            case "audio/mpeg" -> mpegAudio();
            default -> ("mock output of type " + contentType).getBytes(StandardCharsets.UTF_8);
        };
    }

    /** The file name extension used in output URLs. */
    static String extension(String contentType) {
        return switch (contentType.toLowerCase(Locale.ROOT)) {
            case "image/png" -> "png";
            case "image/jpeg" -> "jpg";
            case "image/webp" -> "webp";
            case "video/mp4" -> "mp4";
            case "audio/wav", "audio/x-wav" -> "wav";
            case "audio/mpeg" -> "mp3";
            default -> "bin";
        };
    }

    private static byte[] mp4() {
        ByteBuffer box = ByteBuffer.allocate(32);
        box.putInt(24).put(ascii("ftyp")).put(ascii("isom")).putInt(0x200).put(ascii("isom")).put(ascii("mp41"));
        box.putInt(8).put(ascii("mdat")); // an empty media data box
        return box.array();
    }

    private static byte[] wav() {
        int samples = 800; // 0.1 s of 8 kHz, 8-bit mono silence
        ByteBuffer wav = ByteBuffer.allocate(44 + samples).order(ByteOrder.LITTLE_ENDIAN);
        wav.put(ascii("RIFF")).putInt(36 + samples).put(ascii("WAVE"));
        wav.put(ascii("fmt ")).putInt(16).putShort((short) 1).putShort((short) 1).putInt(8000).putInt(8000)
                .putShort((short) 1).putShort((short) 8);
        wav.put(ascii("data")).putInt(samples);
        while (wav.hasRemaining()) {
            wav.put((byte) 0x80);
        }
        return wav.array();
    }

    private static byte[] mpegAudio() {
        byte[] frame = new byte[417]; // one MPEG-1 layer III frame at 128 kbit/s, 44.1 kHz
        frame[0] = (byte) 0xFF;
        frame[1] = (byte) 0xFB;
        frame[2] = (byte) 0x90;
        frame[3] = (byte) 0x64;
        return frame;
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }
}
