package app.apimodels.core.audio;

import java.io.IOException;

/**
 * WebM and Matroska (EBML): the latest block timestamp of the clusters, in {@code TimecodeScale}
 * units, or the segment's {@code Info/Duration} when it says more (it adds the last frame's length,
 * tens of milliseconds). Every block is looked at, so a small Duration in front of a long recording
 * is not believed, and recorders that write none (a browser's MediaRecorder, a live stream:
 * unknown sizes, no duration) are measured too.
 */
final class Matroska {

    static final long EBML = 0x1A45DFA3L;
    private static final long SEGMENT = 0x18538067L;
    private static final long INFO = 0x1549A966L;
    private static final long TIMECODE_SCALE = 0x2AD7B1L;
    private static final long DURATION = 0x4489L;
    private static final long CLUSTER = 0x1F43B675L;
    private static final long CLUSTER_TIMECODE = 0xE7L;
    private static final long BLOCK_GROUP = 0xA0L;
    private static final long BLOCK = 0xA1L;
    private static final long SIMPLE_BLOCK = 0xA3L;
    /** An element size of all ones: unknown (the element runs until its parent's next child). */
    private static final long UNKNOWN = -1;

    private Matroska() {
    }

    static double seconds(Reader r) throws IOException {
        long id = id(r);
        long size = size(r);
        if (id != EBML || size == UNKNOWN) {
            throw AudioDuration.unreadable("no EBML header");
        }
        r.skip(size);
        if (id(r) != SEGMENT) {
            throw AudioDuration.unreadable("no Matroska segment");
        }
        size(r);
        long scale = 1_000_000;
        double duration = 0;
        long clusterTime = 0;
        long lastBlock = -1;
        // Containers (segment, clusters, block groups) are entered rather than skipped, so their
        // children are read in one flat pass whatever their sizes say, unknown ones included.
        while (r.remaining() >= 2) {
            id = id(r);
            size = size(r);
            if (id == CLUSTER || id == BLOCK_GROUP) {
                continue;
            }
            if (size == UNKNOWN || size > r.remaining()) {
                break; // an unknown-size element we cannot step over, or a file cut short
            }
            long end = r.position() + size;
            if (id == INFO) {
                long[] info = info(r, end);
                scale = info[0];
                duration = Double.longBitsToDouble(info[1]);
            } else if (id == CLUSTER_TIMECODE) {
                clusterTime = uint(r, size);
            } else if (id == SIMPLE_BLOCK || id == BLOCK) {
                vint(r, false); // track number
                long relative = (short) r.u16be();
                lastBlock = Math.max(lastBlock, clusterTime + relative);
            }
            r.seek(end);
        }
        if (lastBlock < 0) {
            throw AudioDuration.unreadable("no Matroska blocks");
        }
        // The blocks are what a decoder plays; an honest Duration is the last block plus its length.
        double units = Math.max(duration, lastBlock);
        if (units <= 0 || scale <= 0) {
            throw AudioDuration.unreadable("no Matroska duration or blocks");
        }
        return units * scale / 1e9;
    }

    /** {TimecodeScale, Duration as double bits} of the Info element ending at {@code end}. */
    private static long[] info(Reader r, long end) throws IOException {
        long scale = 1_000_000;
        double duration = 0;
        while (r.position() < end) {
            long id = id(r);
            long size = size(r);
            if (size == UNKNOWN || r.position() + size > end) {
                break;
            }
            long next = r.position() + size;
            if (id == TIMECODE_SCALE) {
                scale = uint(r, size);
            } else if (id == DURATION) {
                duration = size == 4 ? Float.intBitsToFloat((int) r.u32be()) : size == 8 ? Double.longBitsToDouble(r.u64be()) : 0;
            }
            r.seek(next);
        }
        return new long[] {scale, Double.doubleToLongBits(Double.isFinite(duration) ? duration : 0)};
    }

    private static long id(Reader r) throws IOException {
        return vint(r, true);
    }

    private static long size(Reader r) throws IOException {
        return vint(r, false);
    }

    /** An EBML variable-length integer: with its length marker for ids, without for sizes (all ones: unknown). */
    private static long vint(Reader r, boolean keepMarker) throws IOException {
        int first = r.u8();
        int length = Integer.numberOfLeadingZeros(first) - 23;
        if (first == 0 || length > 8) {
            throw AudioDuration.unreadable("bad EBML number");
        }
        long value = keepMarker ? first : first & (0xFF >> length);
        boolean allOnes = value == (0xFF >> length);
        for (int i = 1; i < length; i++) {
            int b = r.u8();
            allOnes &= b == 0xFF;
            value = value << 8 | b;
        }
        return !keepMarker && allOnes ? UNKNOWN : value;
    }

    private static long uint(Reader r, long size) throws IOException {
        if (size > 8) {
            throw AudioDuration.unreadable("integer too long");
        }
        long v = 0;
        for (int i = 0; i < size; i++) {
            v = v << 8 | r.u8();
        }
        return v;
    }
}
