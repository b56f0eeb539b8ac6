package app.apimodels.testkit;

import app.apimodels.spi.storage.MediaStorage;
import app.apimodels.spi.storage.NoSuchObjectException;
import app.apimodels.spi.storage.ObjectContent;
import app.apimodels.spi.storage.ObjectInfo;
import app.apimodels.spi.storage.StorageException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static app.apimodels.testkit.Conditions.WAIT_SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What every {@link MediaStorage} must do: stored bytes and types come back unchanged whether the
 * size is known or not, reads of byte ranges, missing keys, idempotent deletes, prefix listings in
 * key order with pagination, direct read links, concurrent writers, and no partial object ever
 * readable — not while a put runs, and not after one failed. Extend it and create the storage under
 * test in {@link #createStorage}; every test gets a fresh storage (closed afterwards) and its own
 * key namespace, so storages backed by a shared bucket work too.
 */
public abstract class MediaStorageContract {

    /** Larger than the 8 MiB multipart threshold of object stores, and not a multiple of a part. */
    protected static final int LARGE = 12 * 1024 * 1024 + 12_345;

    private static final String BINARY = "application/octet-stream";

    private MediaStorage storage;
    private String namespace;
    private ExecutorService executor;

    /** A new storage over the backing store under test. */
    protected abstract MediaStorage createStorage();

    /**
     * Whether {@link MediaStorage#readUrl} hands out links (an object store) or always answers
     * empty (a storage whose bytes the engine serves itself).
     */
    protected abstract boolean handsOutReadUrls();

    @BeforeEach
    void openStorage() {
        storage = createStorage();
        namespace = "contract-" + UUID.randomUUID().toString().substring(0, 8) + "/";
        executor = Executors.newFixedThreadPool(8);
    }

    @AfterEach
    void closeStorage() {
        executor.shutdownNow();
        if (storage != null) {
            storage.close();
        }
    }

    /** The storage under test. */
    protected MediaStorage storage() {
        return storage;
    }

    /** {@code name} inside this test's own key namespace. */
    protected String key(String name) {
        return namespace + name;
    }

    // ---- put, stat, open -----------------------------------------------------------------

    @Test
    void putThenStatAndOpenGiveBackTheBytesAndType() throws IOException {
        String key = key("images/cat.png");
        byte[] bytes = randomBytes(100_000, 1);
        Instant before = Instant.now();

        ObjectInfo put = storage.put(key, new ByteArrayInputStream(bytes), bytes.length, "image/png");

        assertThat(put.key()).isEqualTo(key);
        assertThat(put.size()).isEqualTo(bytes.length);
        assertThat(put.contentType()).isEqualTo("image/png");
        ObjectInfo stat = storage.stat(key).orElseThrow();
        assertThat(stat.key()).isEqualTo(key);
        assertThat(stat.size()).isEqualTo(bytes.length);
        assertThat(stat.contentType()).isEqualTo("image/png");
        assertThat(stat.lastModified()).isBetween(before.minus(Duration.ofMinutes(5)), Instant.now().plus(Duration.ofMinutes(5)));
        try (ObjectContent content = storage.open(key, 0, -1)) {
            assertThat(content.offset()).isZero();
            assertThat(content.length()).isEqualTo(bytes.length);
            assertThat(content.totalSize()).isEqualTo(bytes.length);
            assertThat(content.contentType()).isEqualTo("image/png");
            assertThat(content.stream().readAllBytes()).isEqualTo(bytes);
        }
    }

    @Test
    void putOfUnknownSizeStoresEverything() throws IOException {
        String key = key("clip.mp3");
        byte[] bytes = randomBytes(300_001, 2);

        ObjectInfo put = storage.put(key, new ByteArrayInputStream(bytes), -1, "audio/mpeg");

        assertThat(put.size()).isEqualTo(bytes.length);
        assertThat(storage.stat(key)).map(ObjectInfo::size).contains((long) bytes.length);
        assertThat(readAll(key)).isEqualTo(bytes);
    }

    @ParameterizedTest(name = "size known: {0}")
    @ValueSource(booleans = {true, false})
    void largeObjectsAreStoredWhole(boolean sizeKnown) throws IOException {
        String key = key("video.mp4");
        byte[] bytes = randomBytes(LARGE, 3);

        ObjectInfo put = storage.put(key, new ByteArrayInputStream(bytes), sizeKnown ? bytes.length : -1, "video/mp4");

        assertThat(put.size()).isEqualTo(LARGE);
        assertThat(storage.stat(key)).map(ObjectInfo::size).contains((long) LARGE);
        try (ObjectContent content = storage.open(key, 0, -1)) {
            assertThat(content.totalSize()).isEqualTo(LARGE);
            assertThat(content.contentType()).isEqualTo("video/mp4");
            assertThat(sha256(content.stream())).isEqualTo(sha256(new ByteArrayInputStream(bytes)));
        }
    }

    @Test
    void emptyObjectsExist() throws IOException {
        String key = key("empty.txt");

        storage.put(key, InputStream.nullInputStream(), 0, "text/plain");

        assertThat(storage.stat(key)).map(ObjectInfo::size).contains(0L);
        try (ObjectContent content = storage.open(key, 0, -1)) {
            assertThat(content.length()).isZero();
            assertThat(content.totalSize()).isZero();
            assertThat(content.stream().readAllBytes()).isEmpty();
        }
    }

    @Test
    void keysMayUseEveryAllowedCharacter() throws IOException {
        String key = key("A-Z_a.z/0-9/.hidden/x_y-z.tar.gz");
        byte[] bytes = "every character".getBytes(StandardCharsets.UTF_8);

        storage.put(key, new ByteArrayInputStream(bytes), bytes.length, "application/gzip");

        assertThat(readAll(key)).isEqualTo(bytes);
        assertThat(storage.list(key, null, 10)).extracting(ObjectInfo::key).containsExactly(key);
    }

    @Test
    void putReplacesTheObject() throws IOException {
        String key = key("doc");
        put(key, "the first, rather long version", "text/plain");

        byte[] second = "second".getBytes(StandardCharsets.UTF_8);
        storage.put(key, new ByteArrayInputStream(second), second.length, "text/markdown");

        ObjectInfo stat = storage.stat(key).orElseThrow();
        assertThat(stat.size()).isEqualTo(second.length);
        assertThat(stat.contentType()).isEqualTo("text/markdown");
        assertThat(readAll(key)).isEqualTo(second);
    }

    @Test
    void aMissingContentTypeIsStoredAsBinary() {
        String key = key("untyped");

        ObjectInfo put = storage.put(key, new ByteArrayInputStream(new byte[]{1, 2, 3}), 3, null);

        assertThat(put.contentType()).isEqualTo(BINARY);
        assertThat(storage.stat(key)).map(ObjectInfo::contentType).contains(BINARY);
    }

    // ---- byte ranges ---------------------------------------------------------------------

    @ParameterizedTest(name = "offset {0}, length {1} gives {2} bytes")
    @CsvSource({
            "0, 1, 1",          // first byte
            "0, 1000, 1000",    // all of it, asked for exactly
            "100, 250, 250",    // the middle
            "999, 1, 1",        // last byte
            "999, -1, 1",       // last byte, to the end
            "37, -1, 963",      // to the end
            "990, 100, 10"})    // past the end: cut at the end
    void rangesGiveExactlyThoseBytes(long offset, long length, int expected) throws IOException {
        String key = key("range.bin");
        byte[] bytes = randomBytes(1000, 4);
        storage.put(key, new ByteArrayInputStream(bytes), bytes.length, BINARY);

        try (ObjectContent content = storage.open(key, offset, length)) {
            assertThat(content.offset()).isEqualTo(offset);
            assertThat(content.length()).isEqualTo(expected);
            assertThat(content.totalSize()).isEqualTo(bytes.length);
            assertThat(content.contentType()).isEqualTo(BINARY);
            byte[] range = new byte[expected];
            System.arraycopy(bytes, (int) offset, range, 0, expected);
            assertThat(content.stream().readAllBytes()).isEqualTo(range);
        }
    }

    @Test
    void aRangeInsideALargeObjectCanBeReadAndClosedEarly() throws IOException {
        String key = key("large-range.bin");
        byte[] bytes = randomBytes(LARGE, 5);
        storage.put(key, new ByteArrayInputStream(bytes), bytes.length, BINARY);

        int offset = 9 * 1024 * 1024 + 7;
        try (ObjectContent content = storage.open(key, offset, 4096)) {
            byte[] range = new byte[4096];
            System.arraycopy(bytes, offset, range, 0, range.length);
            assertThat(content.stream().readAllBytes()).isEqualTo(range);
        }
        try (ObjectContent content = storage.open(key, 0, -1)) {
            assertThat(content.stream().readNBytes(10)).isEqualTo(Arrays.copyOf(bytes, 10));
        }
        // Abandoning a read must not disturb the next one.
        assertThat(storage.stat(key)).map(ObjectInfo::size).contains((long) LARGE);
    }

    @ParameterizedTest(name = "offset {0}, length {1}")
    @CsvSource({"1000, -1", "1000, 1", "5000, 10", "-1, 10", "0, 0", "0, -2"})
    void rangesOutsideTheObjectOrMalformedAreRejected(long offset, long length) {
        String key = key("short.bin");
        storage.put(key, new ByteArrayInputStream(randomBytes(1000, 6)), 1000, BINARY);

        assertThatThrownBy(() -> storage.open(key, offset, length).close()).isInstanceOf(IllegalArgumentException.class);
    }

    // ---- missing keys and deletes --------------------------------------------------------

    @Test
    void missingKeysAreReportedAsSuch() {
        String key = key("never-stored");

        assertThat(storage.stat(key)).isEmpty();
        assertThatThrownBy(() -> storage.open(key, 0, -1)).isInstanceOf(NoSuchObjectException.class);
        assertThatThrownBy(() -> storage.open(key, 10, 5)).isInstanceOf(NoSuchObjectException.class);
    }

    @Test
    void deleteRemovesTheObjectAndMayBeRepeated() {
        String key = key("gone/soon.txt");
        String neighbour = key("gone/stays.txt");
        put(key, "bye", "text/plain");
        put(neighbour, "hi", "text/plain");

        storage.delete(key);

        assertThat(storage.stat(key)).isEmpty();
        assertThatThrownBy(() -> storage.open(key, 0, -1)).isInstanceOf(NoSuchObjectException.class);
        assertThat(storage.list(key(""), null, 10)).extracting(ObjectInfo::key).containsExactly(neighbour);
        storage.delete(key);
        storage.delete(key("never/existed"));
        assertThat(storage.stat(neighbour)).isPresent();
    }

    @Test
    void aDeletedKeyCanBeStoredAgain() {
        String key = key("again/and/again.txt");
        put(key, "one", "text/plain");
        storage.delete(key);

        put(key, "two", "text/plain");

        assertThat(new String(readAll(key), StandardCharsets.UTF_8)).isEqualTo("two");
    }

    // ---- listing -------------------------------------------------------------------------

    @Test
    void listReturnsOnlyThePrefixInKeyOrder() {
        for (String name : List.of("b/1", "a/2", "ab/x", "a/10", "a-b", "a/1", "a/sub/deep.txt")) {
            put(key(name), name + " content", "text/plain");
        }

        assertThat(storage.list(key("a/"), null, 100)).extracting(ObjectInfo::key)
                .containsExactly(key("a/1"), key("a/10"), key("a/2"), key("a/sub/deep.txt"));
        assertThat(storage.list(key("a"), null, 100)).extracting(ObjectInfo::key)
                .containsExactly(key("a-b"), key("a/1"), key("a/10"), key("a/2"), key("a/sub/deep.txt"), key("ab/x"));
        assertThat(storage.list(key(""), null, 100)).hasSize(7);
        assertThat(storage.list(key("c"), null, 100)).isEmpty();
        assertThat(storage.list(key("a/1"), null, 100)).extracting(ObjectInfo::key).containsExactly(key("a/1"), key("a/10"));
    }

    @Test
    void listGivesSizesAndTimes() {
        String key = key("listed/one.json");
        put(key, "{\"a\":1}", "application/json");

        List<ObjectInfo> listed = storage.list(key("listed/"), null, 10);

        assertThat(listed).singleElement().satisfies(info -> {
            assertThat(info.key()).isEqualTo(key);
            assertThat(info.size()).isEqualTo(7);
            assertThat(info.lastModified()).isNotNull();
            // Object stores do not return types in listings; a storage that does must be right.
            assertThat(info.contentType()).isIn(null, "application/json");
        });
    }

    @Test
    void listPaginatesWithStartAfterAndLimit() {
        List<String> keys = List.of(key("p/a"), key("p/b"), key("p/c"), key("p/d"), key("p/e"));
        for (String key : keys) {
            put(key, key, "text/plain");
        }

        List<String> seen = new ArrayList<>();
        String after = null;
        List<List<String>> pages = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            List<String> page = storage.list(key("p/"), after, 2).stream().map(ObjectInfo::key).toList();
            pages.add(page);
            if (page.isEmpty()) {
                break;
            }
            seen.addAll(page);
            after = page.get(page.size() - 1);
        }

        assertThat(pages).containsExactly(
                List.of(key("p/a"), key("p/b")), List.of(key("p/c"), key("p/d")), List.of(key("p/e")), List.of());
        assertThat(seen).isEqualTo(keys);
        assertThat(storage.list(key("p/"), key("p/bb"), 10)).extracting(ObjectInfo::key)
                .containsExactly(key("p/c"), key("p/d"), key("p/e"));
    }

    @Test
    void listRejectsANonPositiveLimit() {
        assertThatThrownBy(() -> storage.list(key(""), null, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    // ---- read links ----------------------------------------------------------------------

    @Test
    void readUrlServesTheBytesOrIsEmpty() throws Exception {
        String key = key("shared/picture.webp");
        byte[] bytes = randomBytes(20_000, 7);
        storage.put(key, new ByteArrayInputStream(bytes), bytes.length, "image/webp");

        Optional<URI> url = storage.readUrl(key, Duration.ofMinutes(10));

        if (!handsOutReadUrls()) {
            assertThat(url).isEmpty();
            return;
        }
        assertThat(url).isPresent();
        HttpResponse<byte[]> response = httpGet(url.get());
        assertThat(response.statusCode()).as("GET %s", url.get()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(bytes);
    }

    /** A plain GET of {@code url} with the JDK client, as a browser or an upstream would make it. */
    protected static HttpResponse<byte[]> httpGet(URI url) throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(WAIT_SECONDS)).build();
        HttpRequest request = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(WAIT_SECONDS)).GET().build();
        return http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    }

    // ---- concurrency and failures --------------------------------------------------------

    @Test
    void concurrentPutsOfDifferentKeysAllLand() throws Exception {
        int writers = 8;
        int perWriter = 4;
        CountDownLatch start = new CountDownLatch(1);
        List<CompletableFuture<Void>> done = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            int writer = w;
            done.add(CompletableFuture.runAsync(() -> {
                Conditions.await(start, "the start signal");
                for (int i = 0; i < perWriter; i++) {
                    byte[] bytes = randomBytes(50_000 + writer * 1000 + i, writer * 100 + i);
                    long size = i % 2 == 0 ? bytes.length : -1;
                    storage.put(key("w" + writer + "/o" + i), new ByteArrayInputStream(bytes), size, "image/png");
                }
            }, executor));
        }
        start.countDown();
        CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).get(WAIT_SECONDS * 2, TimeUnit.SECONDS);

        for (int w = 0; w < writers; w++) {
            for (int i = 0; i < perWriter; i++) {
                assertThat(readAll(key("w" + w + "/o" + i))).isEqualTo(randomBytes(50_000 + w * 1000 + i, w * 100 + i));
            }
        }
        assertThat(storage.list(key(""), null, 1000)).hasSize(writers * perWriter);
    }

    @ParameterizedTest(name = "declared size {0}, fails after {1} bytes")
    @CsvSource({
            "1048576, 524288",     // known size, small
            "-1, 524288",          // unknown size, small
            "-1, 10485760",        // unknown size, past the multipart threshold
            "12582912, 10485760"}) // known large size
    void aFailingSourceLeavesNoObject(long declared, int failAfter) {
        String key = key("broken/upload.bin");

        assertThatThrownBy(() -> storage.put(key, failingAfter(randomBytes(failAfter, 8)), declared, BINARY))
                .isInstanceOf(StorageException.class);

        assertThat(storage.stat(key)).isEmpty();
        assertThatThrownBy(() -> storage.open(key, 0, -1)).isInstanceOf(NoSuchObjectException.class);
        assertThat(storage.list(key(""), null, 10)).isEmpty();
    }

    @Test
    void aFailedOverwriteKeepsThePreviousObject() {
        String key = key("kept.txt");
        put(key, "the original", "text/plain");

        assertThatThrownBy(() -> storage.put(key, failingAfter(randomBytes(4096, 9)), -1, "image/png"))
                .isInstanceOf(StorageException.class);

        assertThat(storage.stat(key)).map(ObjectInfo::contentType).contains("text/plain");
        assertThat(new String(readAll(key), StandardCharsets.UTF_8)).isEqualTo("the original");
    }

    @ParameterizedTest(name = "declared {0}, actual {1}")
    @CsvSource({"2000, 1000", "1000, 2000", "0, 1", "12582912, 10485760"})
    void aSizeThatDoesNotMatchTheDataLeavesNoObject(long declared, int actual) {
        String key = key("mismatch.bin");

        assertThatThrownBy(() -> storage.put(key, new ByteArrayInputStream(randomBytes(actual, 10)), declared, BINARY))
                .isInstanceOf(StorageException.class)
                .hasMessageContaining(key);

        assertThat(storage.stat(key)).isEmpty();
    }

    @ParameterizedTest(name = "over an existing object: {0}")
    @ValueSource(booleans = {false, true})
    void anObjectBeingWrittenIsNotVisibleUntilThePutReturns(boolean existing) throws Exception {
        String key = key("in-progress.bin");
        if (existing) {
            put(key, "old", "text/plain");
        }
        byte[] bytes = randomBytes(200_000, 11);
        CountDownLatch halfway = new CountDownLatch(1);
        CountDownLatch proceed = new CountDownLatch(1);
        InputStream gated = new GatedStream(bytes, bytes.length / 2, halfway, proceed);

        CompletableFuture<ObjectInfo> put = CompletableFuture.supplyAsync(
                () -> storage.put(key, gated, -1, BINARY), executor);
        try {
            Conditions.await(halfway, "the put to read half the data");
            if (existing) {
                assertThat(storage.stat(key)).map(ObjectInfo::size).contains(3L);
                assertThat(new String(readAll(key), StandardCharsets.UTF_8)).isEqualTo("old");
            } else {
                assertThat(storage.stat(key)).isEmpty();
                assertThatThrownBy(() -> storage.open(key, 0, -1)).isInstanceOf(NoSuchObjectException.class);
            }
        } finally {
            proceed.countDown();
        }

        assertThat(put.get(WAIT_SECONDS, TimeUnit.SECONDS).size()).isEqualTo(bytes.length);
        assertThat(readAll(key)).isEqualTo(bytes);
    }

    // ---- keys ----------------------------------------------------------------------------

    @ParameterizedTest(name = "key \"{0}\"")
    @ValueSource(strings = {"", "/absolute", "../escape", "a/../../escape", "..", ".", "a/./b", "a//b", "trailing/",
            "back\\slash", "white space", "colon:x", "percent%2F", "ümlaut", "tab\tx", "new\nline"})
    void keysOutsideTheAllowedFormAreRefused(String name) {
        assertThatThrownBy(() -> storage.put(name, new ByteArrayInputStream(new byte[1]), 1, BINARY))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> storage.open(name, 0, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> storage.stat(name)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> storage.delete(name)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> storage.readUrl(name, Duration.ofMinutes(1))).isInstanceOf(IllegalArgumentException.class);
    }

    // ---- helpers -------------------------------------------------------------------------

    /** Stores a short text. */
    protected ObjectInfo put(String key, String text, String contentType) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return storage.put(key, new ByteArrayInputStream(bytes), bytes.length, contentType);
    }

    /** The whole object. */
    protected byte[] readAll(String key) {
        try (ObjectContent content = storage.open(key, 0, -1)) {
            return content.stream().readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Repeatable pseudo-random bytes. */
    protected static byte[] randomBytes(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    /** A source that delivers {@code bytes} and then fails, as a download cut off midway does. */
    protected static InputStream failingAfter(byte[] bytes) {
        return new GatedStream(bytes, bytes.length, new CountDownLatch(1), null);
    }

    private static String sha256(InputStream in) throws IOException {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[64 * 1024];
            for (int n; (n = in.read(buffer)) != -1; ) {
                digest.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Delivers {@code bytes}, pausing after {@code pauseAt} of them until {@code proceed} opens —
     * or, when there is no {@code proceed}, failing there.
     */
    private static final class GatedStream extends InputStream {
        private final byte[] bytes;
        private final int pauseAt;
        private final CountDownLatch reached;
        private final CountDownLatch proceed;
        private int position;

        GatedStream(byte[] bytes, int pauseAt, CountDownLatch reached, CountDownLatch proceed) {
            this.bytes = bytes;
            this.pauseAt = pauseAt;
            this.reached = reached;
            this.proceed = proceed;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) == -1 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] target, int offset, int length) throws IOException {
            if (length == 0) {
                return 0;
            }
            if (position == pauseAt) {
                reached.countDown();
                if (proceed == null) {
                    throw new IOException("simulated failure of the source after " + position + " bytes");
                }
                Conditions.await(proceed, "the test to let the put go on");
            }
            if (position == bytes.length) {
                return -1;
            }
            int end = position < pauseAt ? pauseAt : bytes.length;
            int n = Math.min(length, end - position);
            System.arraycopy(bytes, position, target, offset, n);
            position += n;
            return n;
        }
    }
}
