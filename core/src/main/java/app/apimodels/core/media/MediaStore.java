package app.apimodels.core.media;

import app.apimodels.core.ids.Ids;
import app.apimodels.core.db.Sql;
import app.apimodels.core.fetch.FetchException;
import app.apimodels.core.fetch.FetchedBody;
import app.apimodels.core.fetch.SafeFetcher;
import app.apimodels.spi.storage.MediaStorage;
import app.apimodels.spi.storage.ObjectContent;
import app.apimodels.spi.storage.StorageException;
import org.apache.tika.Tika;

import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Files and their records: stores bytes in the configured {@link MediaStorage} (sniffing the type
 * from the bytes, enforcing size limits while streaming, hashing), keeps ownership and retention
 * in the database, and deletes what has passed its retention.
 */
public final class MediaStore {

    private static final System.Logger LOG = System.getLogger(MediaStore.class.getName());
    /** Enough of a file for every magic-number rule Tika applies. */
    private static final int SNIFF_BYTES = 64 * 1024;

    private final Sql sql;
    private final Clock clock;
    private final MediaStorage storage;
    private final MediaLimits limits;
    private final SafeFetcher fetcher;
    private final Tika tika = new Tika();

    public MediaStore(Sql sql, Clock clock, MediaStorage storage, MediaLimits limits, SafeFetcher fetcher) {
        this.sql = sql;
        this.clock = clock;
        this.storage = storage;
        this.limits = limits;
        this.fetcher = fetcher;
    }

    /**
     * Downloads {@code url} through the SSRF-safe fetcher and stores it, like {@link #store}.
     *
     * @throws FetchException the URL is refused or the download failed
     * @throws MediaException the file is too large, not media, or the storage failed
     */
    public MediaObject fetch(long accountId, String kind, URI url, Duration timeout, Duration retention, String taskId)
            throws FetchException {
        try (FetchedBody body = fetcher.get(url, limits.maxBytes(), timeout)) {
            String path = body.finalUrl().getPath();
            String name = path == null || path.endsWith("/") ? null : path.substring(path.lastIndexOf('/') + 1);
            return store(accountId, kind, body.stream(), name, limits.maxBytes(), retention, taskId);
        } catch (MediaException e) {
            if (e.getCause() instanceof FetchException download) {
                throw download;
            }
            throw e;
        }
    }

    public MediaLimits limits() {
        return limits;
    }

    /**
     * Stores a file for {@code accountId}. The media type is sniffed from the bytes; images, video
     * and audio are accepted, each up to its limit, and never more than {@code maxBytes}.
     *
     * @param retention how long after storing the retention job deletes it, or null to keep it
     * @throws MediaException too large, not an accepted type, or storage failure
     */
    public MediaObject store(long accountId, String kind, InputStream data, String fileName, long maxBytes,
                             Duration retention, String taskId) {
        long createdAt = clock.millis();
        String id = Ids.prefixed("file_");
        BufferedInputStream in = new BufferedInputStream(data, SNIFF_BYTES);
        String type;
        try {
            in.mark(SNIFF_BYTES);
            type = tika.detect(new Peek(in, SNIFF_BYTES));
            in.reset();
            if ("video/quicktime".equals(type)) {
                in.mark(12);
                type = isoBrand(in.readNBytes(12));
                in.reset();
            }
        } catch (IOException e) {
            throw new MediaException(MediaException.Reason.UNREADABLE, "the file could not be read: " + e.getMessage(), e);
        }
        String family = MediaLimits.family(type);
        if (family == null) {
            throw new MediaException(MediaException.Reason.UNSUPPORTED_MEDIA_TYPE,
                    "the file is " + type + "; accepted are images (not SVG), video and audio", null);
        }
        long cap = Math.min(maxBytes, limits.maxBytes(family));
        MessageDigest sha = sha256();
        Capped capped = new Capped(new DigestInputStream(in, sha), cap, family);
        ZonedDateTime now = ZonedDateTime.ofInstant(clock.instant(), ZoneOffset.UTC);
        String key = "%ss/%04d/%02d/%02d/%s".formatted(kind, now.getYear(), now.getMonthValue(), now.getDayOfMonth(), id);
        try {
            storage.put(key, capped, -1, type);
        } catch (StorageException e) {
            var download = FetchException.find(e);
            if (download.isPresent()) {
                // The source failed (a download too large, too slow, cut), not the storage.
                throw new MediaException(MediaException.Reason.DOWNLOAD_FAILED, download.get().getMessage(), download.get());
            }
            if (capped.exceeded) {
                throw new MediaException(MediaException.Reason.TOO_LARGE, family + " files may be at most " + cap + " bytes", null);
            }
            throw new MediaException(MediaException.Reason.STORAGE_UNAVAILABLE, "the file could not be stored; retry shortly", e);
        }
        if (capped.exceeded) {
            // Some storages finish a put even when the stream failed; never keep a truncated file.
            storage.delete(key);
            throw new MediaException(MediaException.Reason.TOO_LARGE, family + " files may be at most " + cap + " bytes", null);
        }
        // Control characters (NUL included, which PostgreSQL refuses) and what would break a header or a path go.
        String name = fileName == null ? null : fileName.replaceAll("[\\p{Cntrl}\"\\\\/]", "_");
        if (name != null && name.length() > 255) {
            name = name.substring(name.length() - 255);
        }
        MediaObject m = new MediaObject(id, accountId, kind, key, type, capped.count, HexFormat.of().formatHex(sha.digest()),
                name, taskId, createdAt, retention == null ? null : createdAt + retention.toMillis());
        try {
            sql.update("""
                    INSERT INTO apimodels_media_object (id, account_id, kind, storage_key, content_type, size, sha256, file_name,
                                              task_id, created_at, expires_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", m.id(), m.accountId(), m.kind(), m.storageKey(),
                    m.contentType(), m.size(), m.sha256(), m.fileName(), m.taskId(), m.createdAt(), m.expiresAt());
        } catch (RuntimeException e) {
            storage.delete(key);
            throw e;
        }
        return m;
    }

    /**
     * Tika's core rules call every ISO media file QuickTime; the brand in the {@code ftyp} box tells
     * MP4 (which browsers play) from QuickTime proper and M4A audio.
     */
    static String isoBrand(byte[] head) {
        if (head.length < 12 || !"ftyp".equals(new String(head, 4, 4, java.nio.charset.StandardCharsets.US_ASCII))) {
            return "video/quicktime";
        }
        String brand = new String(head, 8, 4, java.nio.charset.StandardCharsets.US_ASCII);
        return switch (brand) {
            case "qt  " -> "video/quicktime";
            case "M4A ", "M4B " -> "audio/mp4";
            default -> "video/mp4";
        };
    }

    /** A file that has not been deleted. */
    public Optional<MediaObject> find(String id) {
        return sql.one("SELECT * FROM apimodels_media_object WHERE id = ? AND deleted_at IS NULL", MediaStore::row, id);
    }

    /** A file of this account (empty for anyone else's: ids leak nothing). */
    public Optional<MediaObject> owned(long accountId, String id) {
        return find(id).filter(m -> m.accountId() == accountId);
    }

    public List<MediaObject> byTask(String taskId) {
        return sql.list("SELECT * FROM apimodels_media_object WHERE task_id = ? AND kind = 'output' AND deleted_at IS NULL ORDER BY id",
                MediaStore::row, taskId);
    }

    /** Every file of this account that has not been deleted (an erasure deletes them all). */
    public List<MediaObject> byAccount(long accountId) {
        return sql.list("SELECT * FROM apimodels_media_object WHERE account_id = ? AND deleted_at IS NULL ORDER BY id",
                MediaStore::row, accountId);
    }

    /** A page of this account's files (uploads, fetched inputs, outputs), newest first, created before {@code before} when given. */
    public List<MediaObject> page(long accountId, int limit, Long before) {
        return before == null
                ? sql.list("SELECT * FROM apimodels_media_object WHERE account_id = ? AND deleted_at IS NULL "
                + "ORDER BY created_at DESC, id DESC LIMIT ?", MediaStore::row, accountId, limit)
                : sql.list("SELECT * FROM apimodels_media_object WHERE account_id = ? AND deleted_at IS NULL AND created_at < ? "
                + "ORDER BY created_at DESC, id DESC LIMIT ?", MediaStore::row, accountId, before, limit);
    }

    public ObjectContent open(MediaObject m, long offset, long length) {
        return storage.open(m.storageKey(), offset, length);
    }

    /** A direct link from the storage (presigned or public), if it offers them. */
    public Optional<URI> storageUrl(MediaObject m, Duration validity) {
        return storage.readUrl(m.storageKey(), validity);
    }

    /**
     * The origin (scheme, host, port) the storage's direct links point at, if it hands links out:
     * what a page that shows files through redirects must allow. Every link of one storage shares
     * it (one endpoint or public base URL and bucket), so it is read from a link to a probe key;
     * presigning is local, nothing is fetched. Empty when the storage cannot give one.
     */
    public Optional<String> linkOrigin() {
        try {
            return storage.readUrl("apimodels-link-origin", Duration.ofMinutes(1))
                    .filter(u -> u.getScheme() != null && u.getHost() != null)
                    .map(u -> u.getScheme().toLowerCase(Locale.ROOT) + "://" + u.getHost().toLowerCase(Locale.ROOT)
                            + (u.getPort() == -1 ? "" : ":" + u.getPort()));
        } catch (RuntimeException e) {
            // No credentials yet, say: links fail the same way later; the page just does not allow them.
            LOG.log(System.Logger.Level.WARNING, "the media storage gave no link to read its origin from: " + e.getClass().getSimpleName());
            return Optional.empty();
        }
    }

    /** Deletes a file now (its owner asked, or its retention ended). */
    public void delete(MediaObject m) {
        storage.delete(m.storageKey());
        sql.update("UPDATE apimodels_media_object SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL", clock.millis(), m.id());
    }

    /** Deletes files past their retention, oldest first; returns how many. */
    public int deleteExpired(int limit) {
        List<MediaObject> due = sql.list("""
                SELECT * FROM apimodels_media_object WHERE deleted_at IS NULL AND expires_at IS NOT NULL AND expires_at <= ?
                ORDER BY expires_at LIMIT ?""", MediaStore::row, clock.millis(), limit);
        int deleted = 0;
        for (MediaObject m : due) {
            try {
                delete(m);
                deleted++;
            } catch (StorageException e) {
                LOG.log(System.Logger.Level.WARNING, "could not delete expired file " + m.id() + ": " + e.getMessage());
            }
        }
        return deleted;
    }

    private static MediaObject row(ResultSet rs) throws SQLException {
        return new MediaObject(rs.getString("id"), rs.getLong("account_id"), rs.getString("kind"),
                rs.getString("storage_key"), rs.getString("content_type"), rs.getLong("size"), rs.getString("sha256"),
                rs.getString("file_name"), rs.getString("task_id"), rs.getLong("created_at"),
                Sql.nullableLong(rs, "expires_at"));
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The first bytes only, and closing it leaves the underlying stream open (Tika closes what it reads). */
    private static final class Peek extends FilterInputStream {
        private long left;

        Peek(InputStream in, long limit) {
            super(in);
            this.left = limit;
        }

        @Override
        public int read() throws IOException {
            if (left <= 0) {
                return -1;
            }
            int b = super.read();
            if (b >= 0) {
                left--;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left <= 0) {
                return -1;
            }
            int n = super.read(b, off, (int) Math.min(len, left));
            if (n > 0) {
                left -= n;
            }
            return n;
        }

        @Override
        public boolean markSupported() {
            return false;
        }

        @Override
        public void close() {
            // the caller still reads the whole stream
        }
    }

    /** Counts bytes and fails the read that goes past the cap, so the storage abandons the put. */
    private static final class Capped extends FilterInputStream {
        private final long cap;
        private final String family;
        long count;
        boolean exceeded;

        Capped(InputStream in, long cap, String family) {
            super(in);
            this.cap = cap;
            this.family = family;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                add(1);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                add(n);
            }
            return n;
        }

        private void add(long n) throws IOException {
            count += n;
            if (count > cap) {
                exceeded = true;
                throw new IOException(family + " file larger than " + cap + " bytes");
            }
        }
    }
}
