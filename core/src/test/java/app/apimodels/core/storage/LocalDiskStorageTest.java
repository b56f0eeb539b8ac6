package app.apimodels.core.storage;

import app.apimodels.spi.storage.MediaStorage;
import app.apimodels.spi.storage.MediaStorageFactory;
import app.apimodels.spi.storage.ObjectInfo;
import app.apimodels.spi.storage.StorageConfig;
import app.apimodels.spi.storage.StorageException;
import app.apimodels.testkit.MediaStorageContract;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LocalDiskStorageTest extends MediaStorageContract {

    @TempDir
    Path dir;

    @Override
    protected MediaStorage createStorage() {
        return new LocalDiskStorage(dir);
    }

    @Override
    protected boolean handsOutReadUrls() {
        return false;
    }

    @Test
    void theFactoryIsFoundAsLocalAndNeedsADirectory() {
        MediaStorageFactory factory = ServiceLoader.load(MediaStorageFactory.class).stream()
                .map(ServiceLoader.Provider::get)
                .filter(f -> f.type().equals("local"))
                .findFirst().orElseThrow();

        assertThatThrownBy(() -> factory.create(new StorageConfig("local", Map.of())))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("apimodels.storage.dir");
        try (MediaStorage storage = factory.create(new StorageConfig("local", Map.of("dir", dir.resolve("media").toString())))) {
            storage.put("a/b.txt", new ByteArrayInputStream(new byte[]{42}), 1, "text/plain");
            assertThat(storage.stat("a/b.txt")).map(ObjectInfo::size).contains(1L);
        }
        assertThat(dir.resolve("media/objects/a/b.txt")).isRegularFile();
    }

    @Test
    void objectsOutliveTheStorageInstance() {
        put(key("kept.txt"), "still here", "text/plain");

        try (MediaStorage reopened = new LocalDiskStorage(dir)) {
            assertThat(reopened.stat(key("kept.txt"))).map(ObjectInfo::contentType).contains("text/plain");
        }
    }

    @Test
    void noStagingFileIsLeftBehind() throws IOException {
        put(key("ok.txt"), "fine", "text/plain");
        assertThatThrownBy(() -> storage().put(key("broken.bin"), failingAfter(randomBytes(100_000, 1)), -1, "image/png"))
                .isInstanceOf(StorageException.class)
                .satisfies(e -> assertThat(((StorageException) e).retryable()).isTrue());
        assertThatThrownBy(() -> storage().put(key("short.bin"), new ByteArrayInputStream(new byte[10]), 20, "image/png"))
                .isInstanceOf(StorageException.class)
                .satisfies(e -> assertThat(((StorageException) e).retryable()).isFalse());

        try (Stream<Path> staged = Files.list(dir.resolve("staging"))) {
            assertThat(staged).isEmpty();
        }
    }

    @Test
    void stagingFilesOfADeadProcessAreRemovedOnStart() throws IOException {
        Path stale = Files.writeString(dir.resolve("staging").resolve("put-1.tmp"), "half an upload");
        Files.setLastModifiedTime(stale, FileTime.from(Instant.now().minus(Duration.ofDays(2))));
        Path current = Files.writeString(dir.resolve("staging").resolve("put-2.tmp"), "an upload in progress elsewhere");

        new LocalDiskStorage(dir).close();

        assertThat(stale).doesNotExist();
        assertThat(current).exists();
    }

    @Test
    void aKeyCannotBeBothAnObjectAndAPrefix() {
        put(key("a"), "object a", "text/plain");
        put(key("c/d"), "object c/d", "text/plain");

        assertThatThrownBy(() -> put(key("a/b"), "under a", "text/plain"))
                .isInstanceOf(StorageException.class)
                .satisfies(e -> assertThat(((StorageException) e).retryable()).isFalse());
        assertThatThrownBy(() -> put(key("c"), "over c/", "text/plain"))
                .isInstanceOf(StorageException.class)
                .satisfies(e -> assertThat(((StorageException) e).retryable()).isFalse());

        assertThat(new String(readAll(key("a")), StandardCharsets.UTF_8)).isEqualTo("object a");
        assertThat(storage().stat(key("a/b"))).isEmpty();
        assertThat(storage().stat(key("c"))).isEmpty();
        storage().delete(key("c"));
        assertThat(storage().stat(key("c/d"))).isPresent();
    }

    @Test
    void deletingTheLastObjectOfADirectoryRemovesTheDirectory() {
        put(key("x/y/z.txt"), "deep", "text/plain");
        put(key("x/other.txt"), "shallow", "text/plain");

        storage().delete(key("x/y/z.txt"));
        assertThat(dir.resolve("objects").resolve(key("x/y"))).doesNotExist();
        assertThat(dir.resolve("objects").resolve(key("x"))).isDirectory();

        storage().delete(key("x/other.txt"));
        assertThat(dir.resolve("objects").resolve(key("x"))).doesNotExist();
        assertThat(dir.resolve("objects")).isDirectory();
    }

    @Test
    void aFileNotWrittenByTheStorageIsReportedNotMisread() throws IOException {
        Path foreign = dir.resolve("objects").resolve(key("foreign.png"));
        Files.createDirectories(foreign.getParent());
        Files.write(foreign, new byte[]{1, 2});

        assertThatThrownBy(() -> storage().stat(key("foreign.png")))
                .isInstanceOf(StorageException.class)
                .hasMessageContaining("not an object written by this storage");
    }
}
