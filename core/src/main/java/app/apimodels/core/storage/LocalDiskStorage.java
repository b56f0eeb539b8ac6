package app.apimodels.core.storage;

import app.apimodels.spi.storage.MediaStorage;
import app.apimodels.spi.storage.NoSuchObjectException;
import app.apimodels.spi.storage.ObjectContent;
import app.apimodels.spi.storage.ObjectInfo;
import app.apimodels.spi.storage.StorageException;

import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Media on a local (or mounted) disk, for single-node installs and development. An object lives
 * at {@code <dir>/objects/<key>} as one file: a short header holding its content type, then its
 * bytes — one file, so a replace swaps type and bytes together. Writes go to
 * {@code <dir>/staging} (same file system), are forced to disk and then renamed over the
 * target atomically, so readers see the old object or the new one, never part of one.
 * {@link #readUrl} is empty: the engine serves these bytes itself.
 */
public final class LocalDiskStorage implements MediaStorage {

    /** Segments of {@code [A-Za-z0-9._-]}, none empty, "." or "..", joined by single slashes. */
    private static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9._/-]*");
    private static final int MAGIC = 0x414D4F31; // "AMO1"
    private static final int MAX_TYPE_LENGTH = 1024;
    private static final String BINARY = "application/octet-stream";
    /** A staging file this old belongs to a process that died; no upload takes a day. */
    private static final Duration STALE_STAGING = Duration.ofDays(1);
    /** A concurrent delete may prune the parent directory between creating it and the rename. */
    private static final int MOVE_ATTEMPTS = 5;

    private final Path objects;
    private final Path staging;

    /**
     * @param dir the directory that holds everything; created if missing
     * @throws StorageException if it cannot be created or written
     */
    public LocalDiskStorage(Path dir) {
        Path root = dir.toAbsolutePath().normalize();
        this.objects = root.resolve("objects");
        this.staging = root.resolve("staging");
        try {
            Files.createDirectories(objects);
            Files.createDirectories(staging);
            removeStaleStagingFiles();
        } catch (IOException e) {
            throw new StorageException("cannot use media directory " + root + ": " + e, false, e);
        }
    }

    @Override
    public ObjectInfo put(String key, InputStream data, long size, String contentType) {
        Path target = pathOf(key);
        if (size < -1) {
            throw new IllegalArgumentException("size must be -1 or at least 0, got " + size);
        }
        String type = contentType == null || contentType.isBlank() ? BINARY : contentType;
        if (type.length() > MAX_TYPE_LENGTH) {
            throw new IllegalArgumentException("content type longer than " + MAX_TYPE_LENGTH + " characters");
        }
        Path temp = null;
        try {
            temp = Files.createTempFile(staging, "put-", ".tmp");
            long written = write(temp, key, data, type);
            if (size >= 0 && written != size) {
                throw new StorageException("data for " + key + " had " + written + " bytes, not the declared " + size, false, null);
            }
            Instant modified = Files.getLastModifiedTime(temp).toInstant();
            moveIntoPlace(temp, target, key);
            temp = null;
            return new ObjectInfo(key, written, type, modified);
        } catch (IOException e) {
            throw new StorageException("storing " + key + " failed: " + e.getMessage(), false, e);
        } finally {
            if (temp != null) {
                deleteQuietly(temp);
            }
        }
    }

    /** Writes header and data to {@code temp} and forces them to disk; returns the data bytes. */
    private static long write(Path temp, String key, InputStream data, String type) throws IOException {
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(channel), 64 * 1024));
            out.writeInt(MAGIC);
            out.writeUTF(type);
            long written = copy(data, out, key);
            out.flush();
            channel.force(true);
            return written;
        }
    }

    private static long copy(InputStream data, OutputStream out, String key) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        long total = 0;
        while (true) {
            int n;
            try {
                n = data.read(buffer);
            } catch (IOException e) {
                // The source failed, not the disk: fetching the data again may well work.
                throw new StorageException("reading the data for " + key + " failed after " + total + " bytes: " + e.getMessage(), true, e);
            }
            if (n == -1) {
                return total;
            }
            out.write(buffer, 0, n);
            total += n;
        }
    }

    private void moveIntoPlace(Path temp, Path target, String key) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                Files.createDirectories(target.getParent());
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                return;
            } catch (NoSuchFileException e) {
                if (attempt == MOVE_ATTEMPTS) {
                    throw e;
                }
            } catch (AtomicMoveNotSupportedException e) {
                throw new StorageException("the media directory must be on one file system that supports atomic renames", false, e);
            } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
                throw conflict(key, e);
            } catch (FileSystemException e) {
                if (Files.isDirectory(target)) {
                    throw conflict(key, e);
                }
                throw e;
            }
        }
    }

    /** Unlike an object store, a disk cannot hold both {@code a} and {@code a/b}. */
    private static StorageException conflict(String key, IOException cause) {
        return new StorageException("cannot store " + key + ": it or one of its parent paths is already used"
                + " by another object or prefix", false, cause);
    }

    @Override
    public ObjectContent open(String key, long offset, long length) {
        Path path = pathOf(key);
        if (offset < 0 || length == 0 || length < -1) {
            throw new IllegalArgumentException("bad range: offset " + offset + ", length " + length);
        }
        FileChannel channel = null;
        try {
            channel = openObject(path).orElseThrow(() -> new NoSuchObjectException(key));
            String type = readHeader(channel, key);
            long start = channel.position();
            long total = channel.size() - start;
            boolean whole = offset == 0 && length == -1;
            if (!whole && offset >= total) {
                throw new IllegalArgumentException("range starts at " + offset + ", past the end of " + key + " (" + total + " bytes)");
            }
            long delivered = length == -1 ? total - offset : Math.min(length, total - offset);
            channel.position(start + offset);
            ObjectContent content = new ObjectContent(new LimitedStream(Channels.newInputStream(channel), delivered),
                    offset, delivered, total, type);
            channel = null;
            return content;
        } catch (IOException e) {
            throw new StorageException("reading " + key + " failed: " + e.getMessage(), false, e);
        } finally {
            closeQuietly(channel);
        }
    }

    @Override
    public Optional<ObjectInfo> stat(String key) {
        Path path = pathOf(key);
        try {
            Optional<FileChannel> opened = openObject(path);
            if (opened.isEmpty()) {
                return Optional.empty();
            }
            try (FileChannel channel = opened.get()) {
                String type = readHeader(channel, key);
                long size = channel.size() - channel.position();
                return Optional.of(new ObjectInfo(key, size, type, Files.getLastModifiedTime(path).toInstant()));
            }
        } catch (NoSuchFileException e) {
            return Optional.empty(); // deleted between opening and reading its time
        } catch (IOException e) {
            throw new StorageException("reading " + key + " failed: " + e.getMessage(), false, e);
        }
    }

    /** The object's file opened for reading, or empty if there is none (a directory is a prefix, not an object). */
    private static Optional<FileChannel> openObject(Path path) throws IOException {
        try {
            if (!Files.readAttributes(path, BasicFileAttributes.class).isRegularFile()) {
                return Optional.empty();
            }
            return Optional.of(FileChannel.open(path, StandardOpenOption.READ));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (FileSystemException e) {
            // A parent path is a file: "a/b" when "a" is an object.
            if (isNotADirectory(path)) {
                return Optional.empty();
            }
            throw e;
        }
    }

    private static boolean isNotADirectory(Path path) {
        for (Path parent = path.getParent(); parent != null; parent = parent.getParent()) {
            if (Files.isRegularFile(parent)) {
                return true;
            }
        }
        return false;
    }

    /** Reads the header, leaving the channel at the first data byte; returns the content type. */
    private static String readHeader(FileChannel channel, String key) throws IOException {
        // Unbuffered on purpose: the channel's position must end right after the header.
        DataInputStream in = new DataInputStream(Channels.newInputStream(channel));
        try {
            if (in.readInt() != MAGIC) {
                throw new StorageException(key + " is not an object written by this storage", false, null);
            }
            return in.readUTF();
        } catch (EOFException e) {
            throw new StorageException(key + " is not an object written by this storage", false, e);
        }
    }

    @Override
    public void delete(String key) {
        Path path = pathOf(key);
        try {
            if (!Files.isRegularFile(path)) {
                return;
            }
            Files.deleteIfExists(path);
            pruneEmptyParents(path.getParent());
        } catch (IOException e) {
            throw new StorageException("deleting " + key + " failed: " + e.getMessage(), false, e);
        }
    }

    /** Removes directories left empty, so expired media do not leave a tree of them behind. */
    private void pruneEmptyParents(Path dir) throws IOException {
        for (Path current = dir; current != null && !current.equals(objects); current = current.getParent()) {
            try {
                Files.delete(current);
            } catch (DirectoryNotEmptyException e) {
                return;
            } catch (NoSuchFileException e) {
                // Someone else pruned it; its parent may still be empty.
            }
        }
    }

    @Override
    public Optional<URI> readUrl(String key, Duration validity) {
        pathOf(key);
        return Optional.empty();
    }

    @Override
    public List<ObjectInfo> list(String prefix, String startAfter, int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1, got " + limit);
        }
        String searched = prefix == null ? "" : prefix;
        if (!PREFIX.matcher(searched).matches()) {
            throw new IllegalArgumentException("prefix may contain only A-Z a-z 0-9 . _ / -");
        }
        int slash = searched.lastIndexOf('/');
        Path start = slash < 0 ? objects : objects.resolve(searched.substring(0, slash)).normalize();
        if (!start.startsWith(objects) || !Files.isDirectory(start)) {
            return List.of();
        }
        List<String> keys = new ArrayList<>();
        try {
            Files.walkFileTree(start, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    String dirKey = dir.equals(objects) ? "" : keyOf(dir) + "/";
                    boolean relevant = dirKey.startsWith(searched) || searched.startsWith(dirKey);
                    return relevant ? FileVisitResult.CONTINUE : FileVisitResult.SKIP_SUBTREE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    String key = keyOf(file);
                    if (attrs.isRegularFile() && isKey(key) && key.startsWith(searched) && (startAfter == null || key.compareTo(startAfter) > 0)) {
                        keys.add(key);
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                    if (e instanceof NoSuchFileException) {
                        return FileVisitResult.CONTINUE; // deleted while we walked
                    }
                    throw e;
                }
            });
        } catch (IOException e) {
            throw new StorageException("listing " + searched + " failed: " + e.getMessage(), false, e);
        }
        // A walk is not in key order: "a-b" sorts before "a/1" although directory "a" comes first.
        keys.sort(null);
        List<ObjectInfo> page = new ArrayList<>(Math.min(limit, keys.size()));
        for (String key : keys) {
            if (page.size() == limit) {
                break;
            }
            stat(key).ifPresent(page::add);
        }
        return page;
    }

    private static boolean isKey(String key) {
        try {
            MediaStorage.checkKey(key);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private String keyOf(Path path) {
        return objects.relativize(path).toString().replace(path.getFileSystem().getSeparator(), "/");
    }

    /** The file of {@code key}, which must be in the key form and so cannot leave the objects directory. */
    private Path pathOf(String key) {
        Path path = objects.resolve(MediaStorage.checkKey(key)).normalize();
        if (!path.startsWith(objects) || path.equals(objects)) {
            throw new IllegalArgumentException("bad key \"" + key + "\"");
        }
        return path;
    }

    private void removeStaleStagingFiles() throws IOException {
        Instant cutoff = Instant.now().minus(STALE_STAGING);
        try (DirectoryStream<Path> files = Files.newDirectoryStream(staging)) {
            for (Path file : files) {
                try {
                    if (Files.getLastModifiedTime(file).toInstant().isBefore(cutoff)) {
                        Files.deleteIfExists(file);
                    }
                } catch (NoSuchFileException e) {
                    // Another node sharing the directory just removed or renamed it.
                }
            }
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // Left for the stale-staging sweep of the next start.
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // Nothing was written through it.
            }
        }
    }

    @Override
    public String toString() {
        return "LocalDiskStorage[" + objects.getParent() + "]";
    }

    /** Delivers at most {@code remaining} bytes of the underlying stream. */
    private static final class LimitedStream extends FilterInputStream {
        private long remaining;

        LimitedStream(InputStream in, long remaining) {
            super(in);
            this.remaining = remaining;
        }

        @Override
        public int read() throws IOException {
            if (remaining <= 0) {
                return -1;
            }
            int b = in.read();
            if (b != -1) {
                remaining--;
            }
            return b;
        }

        @Override
        public int read(byte[] target, int offset, int length) throws IOException {
            if (remaining <= 0) {
                return length == 0 ? 0 : -1;
            }
            int n = in.read(target, offset, (int) Math.min(length, remaining));
            if (n > 0) {
                remaining -= n;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long skipped = in.skip(Math.min(n, remaining));
            remaining -= skipped;
            return skipped;
        }

        @Override
        public int available() throws IOException {
            return (int) Math.min(in.available(), remaining);
        }

        @Override
        public boolean markSupported() {
            return false;
        }
    }
}
