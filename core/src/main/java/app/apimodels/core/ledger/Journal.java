package app.apimodels.core.ledger;

import app.apimodels.core.calllog.CallRecord;
import app.apimodels.core.web.Json;
import app.apimodels.spi.provider.Usage;
import app.apimodels.json.JsonWriter;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Settlements written down before the answer leaves, so that a call answered just before the
 * process is killed is still charged. The settlement writer commits a few milliseconds after the
 * answer; a node-local append-only file bridges that gap for a fraction of the cost of waiting for
 * the commit (docs/ledger.md, "Crashes"). Written without fsync: it survives the death of the
 * process, not of the machine.
 *
 * <p>Each process writes its own segment files, locked while it lives. A segment is deleted once
 * every settlement in it is committed (after it was rotated, or at close). At start-up, the
 * segments of dead processes (unlocked) are read back by {@link #leftBehind}.
 */
final class Journal implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(Journal.class.getName());
    private static final String SUFFIX = ".settlements";
    private static final long ROTATE_BYTES = 8L << 20;

    private final Path dir;
    private Segment current;

    private static final class Segment {
        final Path path;
        final FileChannel channel;
        final FileLock lock;
        long bytes;
        int outstanding;
        boolean rotated;

        Segment(Path path, FileChannel channel, FileLock lock) {
            this.path = path;
            this.channel = channel;
            this.lock = lock;
        }

        void delete() {
            try {
                lock.release();
                channel.close();
                Files.deleteIfExists(path);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "cannot delete settlement journal " + path + ": " + e.getMessage());
            }
        }
    }

    /** A settlement read back from a dead process's journal. */
    record Entry(Hold hold, long cost, CallRecord record) {
    }

    /** The unlocked journal files in {@code dir} and what they hold; the files are deleted by {@link Left#delete}. */
    record Left(List<Entry> entries, List<Segment> files) {
        void delete() {
            files.forEach(Segment::delete);
        }
    }

    Journal(Path dir) throws IOException {
        this.dir = dir;
        Files.createDirectories(dir);
        this.current = open();
    }

    private Segment open() throws IOException {
        Path path = dir.resolve(UUID.randomUUID() + SUFFIX);
        FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        return new Segment(path, channel, channel.lock());
    }

    /**
     * Writes a settlement down; returns what to run once it is committed. A journal that cannot be
     * written (a full disk) does not fail the call: the settlement is only not crash-safe.
     */
    Runnable append(Hold hold, long cost, CallRecord record) {
        return append(line(hold, cost, record));
    }

    /** Only the write is under the lock, so calls settling at once do not wait on each other's encoding. */
    private synchronized Runnable append(ByteBuffer line) {
        Segment s = current;
        try {
            while (line.hasRemaining()) {
                s.bytes += s.channel.write(line);
            }
            s.outstanding++;
            if (s.bytes >= ROTATE_BYTES) {
                s.rotated = true;
                current = open();
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.ERROR, "cannot write the settlement journal " + s.path + ": " + e.getMessage());
            return () -> { };
        }
        return () -> committed(s);
    }

    private synchronized void committed(Segment s) {
        if (--s.outstanding == 0 && s.rotated) {
            s.delete();
        }
    }

    /** Once the writers have committed everything: nothing is left to recover. */
    @Override
    public synchronized void close() {
        current.rotated = true;
        if (current.outstanding == 0) {
            current.delete();
        }
    }

    /** The settlements of processes that died with their journal (files no live process locks). */
    static Left leftBehind(Path dir) throws IOException {
        List<Entry> entries = new ArrayList<>();
        List<Segment> files = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return new Left(entries, files);
        }
        List<Path> paths;
        try (Stream<Path> list = Files.list(dir)) {
            paths = list.filter(p -> p.getFileName().toString().endsWith(SUFFIX)).sorted().toList();
        }
        for (Path path : paths) {
            FileChannel channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException live) {
                lock = null; // this process's own
            }
            if (lock == null) {
                channel.close();
                continue;
            }
            files.add(new Segment(path, channel, lock));
            for (String line : Files.readAllLines(path, StandardCharsets.UTF_8)) {
                try {
                    @SuppressWarnings("unchecked") Map<String, Object> m = Json.MAPPER.readValue(line, Map.class);
                    entries.add(read(m));
                } catch (IOException | RuntimeException torn) {
                    // the last line of a process killed while writing it: that answer never left
                    LOG.log(System.Logger.Level.WARNING, "skipping an unreadable line of " + path);
                }
            }
        }
        return new Left(entries, files);
    }

    /**
     * One settlement as a line of JSON: the hold's fields, the cost, the call record's fields and its
     * usage as arrays ({@link #read} takes them back). Written field by field into the bytes, with
     * neither a map nor a generator (its I/O context and pooled buffer cost more than the line).
     */
    static ByteBuffer line(Hold h, long cost, CallRecord r) {
        // About the line's size (names, punctuation and numbers take about 220 bytes), so it is
        // rarely grown and not much larger than the line.
        JsonWriter g = new JsonWriter(256 + length(h.id()) + length(h.leaseId()) + length(r.id()) + length(r.endpoint())
                + length(r.model()) + length(r.provider()) + length(r.upstreamModel()) + length(r.error()));
        g.startObject()
                .name("hold").string(h.id())
                .name("lease").string(h.leaseId())
                .name("account").number(h.accountId())
                .name("key").number(h.keyId())
                .name("wallet").number(h.walletId())
                .name("hold_account").number(h.holdAccountId())
                .name("amount").number(h.amount())
                .name("key_limited").bool(h.keyLimited())
                .name("cost").number(cost);
        g.name("call").startArray()
                .string(r.id())
                .number(r.accountId())
                .number(r.keyId())
                .string(r.endpoint())
                .string(r.model())
                .string(r.provider())
                .string(r.upstreamModel())
                .bool(r.stream())
                .number(r.status())
                .string(r.error())
                .number(r.startedAt())
                .number(r.latencyMs())
                .number(r.attempts())
                .bool(r.estimated())
                .number(r.costMicros())
                .endArray();
        Usage u = r.usage();
        g.name("usage").startArray()
                .number(u.inputTokens())
                .number(u.cachedInputTokens())
                .number(u.outputTokens())
                .number(u.images())
                .number(u.seconds())
                .number(u.characters())
                .number(u.cacheWriteTokens())
                .endArray();
        return g.endObject().append('\n').buffer();
    }

    private static int length(String s) {
        return s == null ? 4 : s.length();
    }

    private static Entry read(Map<String, Object> m) {
        Hold h = new Hold((String) m.get("hold"), num(m.get("account")), m.get("key") == null ? null : num(m.get("key")),
                num(m.get("wallet")), num(m.get("hold_account")), num(m.get("amount")), (Boolean) m.get("key_limited"),
                (String) m.get("lease"));
        List<?> c = (List<?>) m.get("call");
        List<?> u = (List<?>) m.get("usage");
        // A journal written before cache writes were counted has six figures.
        Usage usage = new Usage(num(u.get(0)), num(u.get(1)), num(u.get(2)), num(u.get(3)), ((Number) u.get(4)).doubleValue(), num(u.get(5)),
                u.size() > 6 ? num(u.get(6)) : 0);
        CallRecord r = new CallRecord((String) c.get(0), num(c.get(1)), c.get(2) == null ? null : num(c.get(2)), (String) c.get(3),
                (String) c.get(4), (String) c.get(5), (String) c.get(6), (Boolean) c.get(7), (int) num(c.get(8)), (String) c.get(9), num(c.get(10)),
                (int) num(c.get(11)), (int) num(c.get(12)), usage, (Boolean) c.get(13), num(c.get(14)));
        return new Entry(h, num(m.get("cost")), r);
    }

    private static long num(Object o) {
        return ((Number) o).longValue();
    }
}
