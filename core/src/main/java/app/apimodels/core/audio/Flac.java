package app.apimodels.core.audio;

import java.io.IOException;

/**
 * FLAC: where the last audio frame ends — its first sample (the frame or sample number in its
 * header, checked by the header's CRC-8) plus its block size — over STREAMINFO's sample rate. The
 * STREAMINFO total alone is not believed: a client could write a small one in front of a long
 * recording. A file with no frame is not measured.
 */
final class Flac {

    /** The last frame is looked for within this much of the end (frames are a few kilobytes). */
    private static final int TAIL = 1 << 20;

    private Flac() {
    }

    static double seconds(Reader r) throws IOException {
        r.skip(4); // fLaC
        int header = r.u8();
        if ((header & 0x7F) != 0) {
            throw AudioDuration.unreadable("the first FLAC block is not STREAMINFO");
        }
        r.skip(3); // block length
        int minBlock = r.u16be();
        r.skip(8); // max block, frame sizes
        long packed = r.u64be();
        long sampleRate = packed >>> 44;
        long declared = packed & 0xFFFFFFFFFL;
        if (sampleRate == 0) {
            throw AudioDuration.unreadable("FLAC without a sample rate");
        }
        long metadataEnd = r.position() + 16; // the MD5 ends STREAMINFO; frames come after any later blocks
        long end = lastFrameEnd(r, metadataEnd, minBlock);
        // An honest file says the same in both; a larger declared total only costs its sender.
        return (double) Math.max(end, declared) / sampleRate;
    }

    /** The sample number just after the last frame of the file. */
    private static long lastFrameEnd(Reader r, long notBefore, int minBlock) throws IOException {
        long from = Math.max(notBefore, r.size() - TAIL);
        r.seek(from);
        byte[] tail = r.bytes((int) (r.size() - from));
        for (int i = tail.length - 6; i >= 0; i--) {
            if ((tail[i] & 0xFF) == 0xFF && (tail[i + 1] & 0xFE) == 0xF8) {
                long end = frameEnd(tail, i, minBlock);
                if (end > 0) {
                    return end;
                }
            }
        }
        throw AudioDuration.unreadable("no FLAC frame");
    }

    /** The sample number after the frame whose header starts at {@code at}, or -1 if no valid header is there. */
    private static long frameEnd(byte[] b, int at, int minBlock) {
        int p = at + 2;
        if (p + 2 > b.length) {
            return -1;
        }
        boolean variable = (b[at + 1] & 1) == 1;
        int blockCode = (b[p] & 0xFF) >>> 4;
        int rateCode = b[p] & 0x0F;
        int sizeCode = (b[p + 1] & 0x0E) >>> 1;
        if (blockCode == 0 || rateCode == 15 || (b[p + 1] & 0xF0) >>> 4 > 10 || sizeCode == 3 || (b[p + 1] & 1) != 0) {
            return -1;
        }
        p += 2;
        // The frame or sample number, coded as UTF-8 extended to 36 bits.
        int first = b[p++] & 0xFF;
        int extra = first < 0x80 ? 0 : first >= 0xC0 && first < 0xE0 ? 1 : first >= 0xE0 && first < 0xF0 ? 2
                : first >= 0xF0 && first < 0xF8 ? 3 : first >= 0xF8 && first < 0xFC ? 4 : first >= 0xFC && first < 0xFE ? 5
                : first == 0xFE ? 6 : -1;
        if (extra < 0 || p + extra > b.length) {
            return -1;
        }
        long number = extra == 0 ? first : first & (0x3F >> extra);
        for (int k = 0; k < extra; k++) {
            int c = b[p++] & 0xFF;
            if ((c & 0xC0) != 0x80) {
                return -1;
            }
            number = number << 6 | (c & 0x3F);
        }
        long blockSize;
        if (blockCode == 1) {
            blockSize = 192;
        } else if (blockCode <= 5) {
            blockSize = 576L << (blockCode - 2);
        } else if (blockCode == 6) {
            if (p + 1 > b.length) {
                return -1;
            }
            blockSize = (b[p++] & 0xFF) + 1;
        } else if (blockCode == 7) {
            if (p + 2 > b.length) {
                return -1;
            }
            blockSize = ((b[p] & 0xFF) << 8 | (b[p + 1] & 0xFF)) + 1;
            p += 2;
        } else {
            blockSize = 256L << (blockCode - 8);
        }
        p += rateCode == 12 ? 1 : rateCode == 13 || rateCode == 14 ? 2 : 0;
        if (p >= b.length || crc8(b, at, p) != (b[p] & 0xFF)) {
            return -1;
        }
        long firstSample = variable ? number : number * minBlock;
        return firstSample + blockSize;
    }

    /** CRC-8, polynomial x^8 + x^2 + x + 1, over b[from, to). */
    private static int crc8(byte[] b, int from, int to) {
        int crc = 0;
        for (int i = from; i < to; i++) {
            crc ^= b[i] & 0xFF;
            for (int k = 0; k < 8; k++) {
                crc = (crc & 0x80) != 0 ? (crc << 1 ^ 0x07) & 0xFF : crc << 1 & 0xFF;
            }
        }
        return crc;
    }
}
