package app.apimodels.core.audio;

import java.io.IOException;

/**
 * Ogg (Vorbis, Opus, FLAC): the largest granule position among the first stream's pages over the
 * codec's rate (Opus: always 48 kHz, less the pre-skip of its header). Every page is walked (a page
 * header says its own length), so a small granule written on the last page cannot hide the pages
 * before it; a file cut short is measured as far as its pages go.
 */
final class Ogg {

    private static final long NO_GRANULE = -1;

    private Ogg() {
    }

    static double seconds(Reader r) throws IOException {
        long serial = page(r)[1];
        long rate;
        long preSkip = 0;
        if (r.at("\u0001vorbis")) {
            r.skip(7 + 4 + 1);
            rate = r.u32le();
        } else if (r.at("OpusHead")) {
            r.skip(8 + 2);
            preSkip = r.u16le();
            rate = 48_000;
        } else if (r.at("\u007FFLAC")) {
            r.skip(5 + 2 + 2 + 4 + 4 + 10); // 0x7F FLAC, version, header count, fLaC, block header, block and frame sizes
            rate = r.u64be() >>> 44;
        } else {
            throw AudioDuration.unreadable("an Ogg codec other than Vorbis, Opus or FLAC");
        }
        long granule = 0;
        r.seek(0);
        while (r.remaining() >= 27 && r.at("OggS")) {
            long[] page = page(r);
            if (page[1] == serial && page[0] != NO_GRANULE) {
                granule = Math.max(granule, page[0]);
            }
            if (page[2] > r.remaining()) {
                break; // a last page cut short: its granule is not reached
            }
            r.skip(page[2]);
        }
        if (rate == 0 || granule <= preSkip) {
            throw AudioDuration.unreadable("no Ogg granule position");
        }
        return (double) (granule - preSkip) / rate;
    }

    /**
     * Reads the page header at the position: {granule, serial, body length}, leaving the position at
     * the page's body.
     */
    private static long[] page(Reader r) throws IOException {
        r.skip(4); // OggS
        if (r.u8() != 0) {
            throw AudioDuration.unreadable("unknown Ogg version");
        }
        r.skip(1); // header type
        long granule = r.u64le();
        long serial = r.u32le();
        r.skip(8); // sequence, checksum
        int segments = r.u8();
        long body = 0;
        for (int i = 0; i < segments; i++) {
            body += r.u8();
        }
        return new long[] {granule, serial, body};
    }
}
