package app.apimodels.core.audio;

import java.io.IOException;

/** RIFF/WAVE: the {@code data} chunk's size divided by the {@code fmt } chunk's average byte rate. */
final class Wav {

    private Wav() {
    }

    static double seconds(Reader r) throws IOException {
        r.skip(8);
        if (!r.at("WAVE")) {
            throw AudioDuration.unreadable("RIFF but not WAVE");
        }
        r.skip(4);
        long byteRate = 0;
        while (r.remaining() >= 8) {
            String id = new String(r.bytes(4), java.nio.charset.StandardCharsets.US_ASCII);
            long size = r.u32le();
            if (id.equals("fmt ")) {
                long start = r.position();
                r.skip(8); // format tag, channels, sample rate
                byteRate = r.u32le();
                r.seek(start);
            } else if (id.equals("data")) {
                if (byteRate == 0) {
                    throw AudioDuration.unreadable("data before fmt");
                }
                // A recorder that never went back to write the size leaves 0 or 0xFFFFFFFF: the rest of the file.
                long bytes = size == 0 || size == 0xFFFFFFFFL || size > r.remaining() ? r.remaining() : size;
                return (double) bytes / byteRate;
            }
            r.skip(Math.min(size + (size & 1), r.remaining()));
        }
        throw AudioDuration.unreadable("no data chunk");
    }
}
