package app.apimodels.core.audio;

import java.io.IOException;

/**
 * MP4/M4A (ISO base media): the longest track, each measured from its sample table — the sum of
 * {@code stts} (sample count × sample duration) over the track's {@code mdhd} timescale, wherever
 * {@code moov} is (start or end). The movie header's own duration is not believed: it is a number
 * a client could write. A fragmented file (samples described in {@code moof} boxes, the movie
 * header empty) is not measured.
 */
final class Mp4 {

    private Mp4() {
    }

    static double seconds(Reader r) throws IOException {
        long[] moov = find(r, 0, r.size(), "moov");
        if (moov == null) {
            throw AudioDuration.unreadable("no moov box");
        }
        double longest = 0;
        for (long at = moov[0]; ; ) {
            long[] trak = find(r, at, moov[1], "trak");
            if (trak == null) {
                break;
            }
            longest = Math.max(longest, track(r, trak));
            at = trak[1];
        }
        if (longest <= 0) {
            throw AudioDuration.unreadable("no track with samples");
        }
        return longest;
    }

    private static double track(Reader r, long[] trak) throws IOException {
        long[] mdia = find(r, trak[0], trak[1], "mdia");
        long[] mdhd = mdia == null ? null : find(r, mdia[0], mdia[1], "mdhd");
        long[] minf = mdia == null ? null : find(r, mdia[0], mdia[1], "minf");
        long[] stbl = minf == null ? null : find(r, minf[0], minf[1], "stbl");
        long[] stts = stbl == null ? null : find(r, stbl[0], stbl[1], "stts");
        if (mdhd == null || stts == null) {
            return 0;
        }
        r.seek(mdhd[0]);
        int version = r.u8();
        r.skip(3 + (version == 1 ? 16 : 8));
        long timescale = r.u32be();
        r.seek(stts[0] + 4);
        long entries = r.u32be();
        if (entries * 8 > stts[1] - r.position() || timescale == 0) {
            throw AudioDuration.unreadable("a bad stts or mdhd box");
        }
        long units = 0;
        for (long i = 0; i < entries; i++) {
            units = Math.addExact(units, Math.multiplyExact(r.u32be(), r.u32be()));
        }
        return (double) units / timescale;
    }

    /** The content range {start, end} of the first box of {@code type} among the boxes in [from, to), or null. */
    private static long[] find(Reader r, long from, long to, String type) throws IOException {
        long at = from;
        while (at + 8 <= to) {
            r.seek(at);
            long size = r.u32be();
            boolean match = r.at(type);
            r.skip(4);
            long header = 8;
            if (size == 1) {
                size = r.u64be();
                header = 16;
            } else if (size == 0) {
                size = to - at;
            }
            if (size < header || at + size > to) {
                throw AudioDuration.unreadable("a box runs past its parent");
            }
            if (match) {
                return new long[] {at + header, at + size};
            }
            at += size;
        }
        return null;
    }
}
