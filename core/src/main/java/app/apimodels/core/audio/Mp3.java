package app.apimodels.core.audio;

import java.io.IOException;

/**
 * MPEG audio (MP3, also layers I and II): every frame from the first to the last is counted and
 * its samples added, so constant and variable bit rates come out exact without trusting a Xing or
 * VBRI summary (whose own frame, silent, is not counted). ID3v2 tags before and ID3v1/APE tags
 * after are skipped. A file whose first frame is not followed by a second one of the same kind is
 * not taken for MPEG audio.
 */
final class Mp3 {

    private static final int[][] BITRATES = {
            {32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448}, // MPEG-1 layer I
            {32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384},    // MPEG-1 layer II
            {32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320},     // MPEG-1 layer III
            {32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256},    // MPEG-2/2.5 layer I
            {8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160},         // MPEG-2/2.5 layers II, III
    };
    private static final int[][] SAMPLE_RATES = {
            {11025, 12000, 8000},  // MPEG-2.5
            {},                    // reserved
            {22050, 24000, 16000}, // MPEG-2
            {44100, 48000, 32000}, // MPEG-1
    };
    /** How far into the file (after tags) the first frame is looked for. */
    private static final int FIRST_FRAME_SEARCH = 64 * 1024;

    private Mp3() {
    }

    /** One frame header, read. */
    private record Frame(int version, int layer, int sampleRate, int samples, int length) {
        boolean sameStream(Frame o) {
            return version == o.version && layer == o.layer && sampleRate == o.sampleRate;
        }
    }

    static double seconds(Reader r) throws IOException {
        skipId3v2(r);
        long start = r.position();
        Frame first = null;
        while (first == null && r.position() - start < FIRST_FRAME_SEARCH && r.remaining() >= 4) {
            long at = r.position();
            Frame f = frameAt(r, at);
            if (f != null && followedByFrame(r, at, f)) {
                first = f;
                r.seek(at);
            } else {
                r.seek(at + 1);
            }
        }
        if (first == null) {
            throw AudioDuration.unreadable("no MPEG audio frames");
        }
        long samples = 0;
        boolean summary = isSummaryFrame(r, r.position(), first);
        while (r.remaining() >= 4) {
            long at = r.position();
            Frame f = frameAt(r, at);
            if (f == null || !f.sameStream(first) || f.length > r.remaining()) {
                break; // a trailing tag, or the end of the audio
            }
            samples += f.samples;
            r.seek(at + f.length);
        }
        if (summary) {
            samples -= first.samples;
        }
        return (double) samples / first.sampleRate;
    }

    private static void skipId3v2(Reader r) throws IOException {
        while (r.at("ID3") && r.remaining() >= 10) {
            r.skip(5);
            int flags = r.u8();
            long size = (long) (r.u8() & 0x7F) << 21 | (r.u8() & 0x7F) << 14 | (r.u8() & 0x7F) << 7 | (r.u8() & 0x7F);
            r.skip(Math.min(size + ((flags & 0x10) != 0 ? 10 : 0), r.remaining()));
        }
    }

    private static boolean followedByFrame(Reader r, long at, Frame f) throws IOException {
        long next = at + f.length;
        if (next == r.size()) {
            return true;
        }
        if (next + 4 > r.size()) {
            return false;
        }
        Frame second = frameAt(r, next);
        return second != null && second.sameStream(f);
    }

    /** The frame whose header is at {@code at}, or null if none is. */
    private static Frame frameAt(Reader r, long at) throws IOException {
        r.seek(at);
        long h = r.u32be();
        if ((h & 0xFFE00000L) != 0xFFE00000L) {
            return null;
        }
        int version = (int) (h >>> 19) & 3;
        int layerBits = (int) (h >>> 17) & 3;
        int bitrateIndex = (int) (h >>> 12) & 15;
        int rateIndex = (int) (h >>> 10) & 3;
        if (version == 1 || layerBits == 0 || bitrateIndex == 0 || bitrateIndex == 15 || rateIndex == 3) {
            return null;
        }
        int layer = 4 - layerBits;
        boolean mpeg1 = version == 3;
        int table = mpeg1 ? layer - 1 : layer == 1 ? 3 : 4;
        int bitrate = BITRATES[table][bitrateIndex - 1] * 1000;
        int sampleRate = SAMPLE_RATES[version][rateIndex];
        int padding = (int) (h >>> 9) & 1;
        int samples = layer == 1 ? 384 : layer == 2 || mpeg1 ? 1152 : 576;
        int length = layer == 1
                ? (12 * bitrate / sampleRate + padding) * 4
                : samples / 8 * bitrate / sampleRate + padding;
        return length < 4 ? null : new Frame(version, layer, sampleRate, samples, length);
    }

    /** Whether the frame at {@code at} carries an encoder's Xing/Info or VBRI summary instead of audio. */
    private static boolean isSummaryFrame(Reader r, long at, Frame f) throws IOException {
        int look = Math.min(f.length, 64);
        r.seek(at);
        byte[] head = r.bytes(look);
        r.seek(at);
        String text = new String(head, java.nio.charset.StandardCharsets.ISO_8859_1);
        return text.contains("Xing") || text.contains("Info") || text.indexOf("VBRI") == 36;
    }
}
