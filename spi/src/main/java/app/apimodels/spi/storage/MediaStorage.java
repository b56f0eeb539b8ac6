package app.apimodels.spi.storage;

import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Where uploads and generated media live (local disk, S3, R2, MinIO…). Keys are relative paths of
 * {@code [A-Za-z0-9._/-]} chosen by the engine; the engine keeps ownership, retention and access
 * rules in its database, so a storage only stores bytes. Methods block and may be called from
 * many threads at once; failures are {@link StorageException}s.
 */
public interface MediaStorage extends AutoCloseable {

    /**
     * Checks a key's form (segments of {@code A-Z a-z 0-9 . _ -} joined by single slashes, none
     * {@code .} or {@code ..}), which every storage must refuse otherwise; returns it.
     *
     * @throws IllegalArgumentException for any other key
     */
    static String checkKey(String key) {
        if (key == null || !Keys.FORM.matcher(key).matches()) {
            throw new IllegalArgumentException("bad key \"" + key + "\": use segments of A-Z a-z 0-9 . _ - joined by single"
                    + " slashes, none of them \".\" or \"..\"");
        }
        return key;
    }

    /** Holds the compiled key form (interfaces cannot have private fields). */
    final class Keys {
        static final java.util.regex.Pattern FORM =
                java.util.regex.Pattern.compile("(?!\\.\\.?(/|$))[A-Za-z0-9._-]+(/(?!\\.\\.?(/|$))[A-Za-z0-9._-]+)*");

        private Keys() {
        }
    }

    /**
     * Stores {@code data} under {@code key}, replacing any object there. The object is complete
     * and readable when this returns; on failure nothing partial is left readable.
     *
     * @param size bytes in {@code data}, or -1 if unknown (the storage then buffers or uses a
     *             multipart upload)
     */
    ObjectInfo put(String key, InputStream data, long size, String contentType);

    /**
     * Reads an object, or the bytes {@code offset} to {@code offset + length - 1} of it
     * ({@code length} -1 means to the end).
     *
     * @throws NoSuchObjectException if there is none
     */
    ObjectContent open(String key, long offset, long length);

    /** The object's metadata, if it exists. */
    Optional<ObjectInfo> stat(String key);

    /** Removes an object; removing a missing one is not an error. */
    void delete(String key);

    /**
     * A URL a browser or an upstream can read the object from directly for at least
     * {@code validity} (a presigned GET, or a public base URL such as an R2 custom domain), or
     * empty if this storage cannot hand out links (the engine then serves the bytes itself).
     */
    Optional<URI> readUrl(String key, Duration validity);

    /** Up to {@code limit} objects whose keys start with {@code prefix}, in key order after {@code startAfter} (null: from the start). */
    List<ObjectInfo> list(String prefix, String startAfter, int limit);

    @Override
    default void close() {
    }
}
