package app.apimodels.storage.s3;

import app.apimodels.spi.storage.MediaStorage;
import app.apimodels.spi.storage.NoSuchObjectException;
import app.apimodels.spi.storage.ObjectInfo;
import app.apimodels.spi.storage.StorageException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

/** What the contract cannot see: how objects land in the bucket, links, and failures of the store itself. */
class S3MediaStorageBehaviourTest {

    private static final int MIB = 1024 * 1024;

    private static S3ProxyServer server;

    @BeforeAll
    static void startS3Proxy() throws Exception {
        server = new S3ProxyServer();
    }

    @AfterAll
    static void stopS3Proxy() throws Exception {
        server.close();
    }

    private static MediaStorage storage(Map<String, String> extra) {
        return new S3MediaStorageFactory().create(server.config(extra));
    }

    private static String uniqueKey(String name) {
        return "behaviour-" + UUID.randomUUID().toString().substring(0, 8) + "/" + name;
    }

    /** The object's ETag in the bucket; a multipart upload's ends in "-" and its number of parts. */
    private static String eTag(String key) {
        return server.blobStore().blobMetadata(S3ProxyServer.BUCKET, "media/" + key).getETag();
    }

    @Test
    void objectsAboveTheThresholdGoUpInPartsOfTheConfiguredSize() {
        String small = uniqueKey("small.bin");
        String large = uniqueKey("large.bin");
        String smallerParts = uniqueKey("smaller-parts.bin");
        try (MediaStorage storage = storage(Map.of());
             MediaStorage fiveMiBParts = storage(Map.of("multipart-threshold-bytes", String.valueOf(MIB),
                     "part-size-bytes", String.valueOf(5 * MIB)))) {
            storage.put(small, new ByteArrayInputStream(new byte[8 * MIB]), 8 * MIB, "video/mp4");
            storage.put(large, new ByteArrayInputStream(new byte[12 * MIB]), -1, "video/mp4");
            fiveMiBParts.put(smallerParts, new ByteArrayInputStream(new byte[12 * MIB]), 12 * MIB, "video/mp4");
        }

        assertThat(eTag(small)).doesNotContain("-");
        assertThat(eTag(large)).endsWith("-2\"");
        assertThat(eTag(smallerParts)).endsWith("-3\"");
    }

    @Test
    void aFailedMultipartUploadIsAborted() {
        String key = uniqueKey("aborted.bin");
        InputStream cutOff = new SequenceInputStream(new ByteArrayInputStream(new byte[10 * MIB]), new InputStream() {
            @Override
            public int read() throws IOException {
                throw new IOException("connection reset by the upstream");
            }
        });
        try (MediaStorage storage = storage(Map.of())) {
            assertThatThrownBy(() -> storage.put(key, cutOff, -1, "video/mp4"))
                    .isInstanceOf(StorageException.class)
                    .satisfies(e -> assertThat(((StorageException) e).retryable()).isTrue());
            assertThatThrownBy(() -> storage.put(key, new ByteArrayInputStream(new byte[10 * MIB]), 12 * MIB, "video/mp4"))
                    .isInstanceOf(StorageException.class)
                    .satisfies(e -> assertThat(((StorageException) e).retryable()).isFalse());
        }

        assertThat(server.blobStore().listMultipartUploads(S3ProxyServer.BUCKET))
                .noneMatch(upload -> upload.blobName().equals("media/" + key));
        assertThat(server.blobStore().blobExists(S3ProxyServer.BUCKET, "media/" + key)).isFalse();
    }

    @Test
    void objectsLiveUnderTheConfiguredPrefix() {
        String key = uniqueKey("prefixed.txt");
        try (MediaStorage storage = storage(Map.of());
             MediaStorage wholeBucket = storage(Map.of("prefix", ""))) {
            storage.put(key, new ByteArrayInputStream(new byte[]{1, 2, 3}), 3, "text/plain");

            assertThat(server.blobStore().blobExists(S3ProxyServer.BUCKET, "media/" + key)).isTrue();
            assertThat(storage.list(key, null, 10)).extracting(ObjectInfo::key).containsExactly(key);
            assertThat(wholeBucket.stat("media/" + key)).map(ObjectInfo::size).contains(3L);
            assertThat(wholeBucket.stat(key)).isEmpty();
        }
    }

    @Test
    void aPublicBaseUrlGivesPlainLinksToTheObject() {
        try (MediaStorage withSlash = storage(Map.of("public-base-url", "https://media.example.com/"));
             MediaStorage withPath = storage(Map.of("public-base-url", "https://cdn.example.com/assets"))) {
            assertThat(withSlash.readUrl("u/1/cat.png", Duration.ofMinutes(5)))
                    .contains(URI.create("https://media.example.com/media/u/1/cat.png"));
            assertThat(withPath.readUrl("u/1/cat.png", Duration.ofDays(30)))
                    .contains(URI.create("https://cdn.example.com/assets/media/u/1/cat.png"));
        }
    }

    @Test
    void presignedLinksExpireWhenAskedButAtMostAfterAWeek() {
        try (MediaStorage storage = storage(Map.of())) {
            assertThat(storage.readUrl("a.png", Duration.ofMinutes(10)).orElseThrow().getRawQuery())
                    .contains("X-Amz-Expires=600");
            assertThat(storage.readUrl("a.png", Duration.ofDays(30)).orElseThrow().getRawQuery())
                    .contains("X-Amz-Expires=604800");
            assertThatThrownBy(() -> storage.readUrl("a.png", Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void aPresignedLinkOpensOnlyItsOwnObject() throws Exception {
        String key = uniqueKey("signed.png");
        String other = uniqueKey("other.png");
        try (MediaStorage storage = storage(Map.of())) {
            storage.put(key, new ByteArrayInputStream(new byte[]{7, 7, 7}), 3, "image/png");
            storage.put(other, new ByteArrayInputStream(new byte[]{9}), 1, "image/png");
            URI link = storage.readUrl(key, Duration.ofMinutes(5)).orElseThrow();

            HttpResponse<byte[]> good = get(link);
            assertThat(good.statusCode()).isEqualTo(200);
            assertThat(good.body()).containsExactly(7, 7, 7);
            assertThat(good.headers().firstValue("Content-Type")).contains("image/png");

            URI tampered = URI.create(link.toString().replace(key, other));
            assertThat(get(tampered).statusCode()).isEqualTo(403);
        }
    }

    @Test
    void aWrongSecretIsPermanentAndNeverShown() {
        String wrong = "wrong-Secret-Value-That-Must-Not-Leak-0123";
        try (MediaStorage storage = storage(Map.of("secret-access-key", wrong))) {
            for (Executable call : List.<Executable>of(
                    () -> storage.put(uniqueKey("x"), new ByteArrayInputStream(new byte[1]), 1, "text/plain"),
                    () -> storage.stat(uniqueKey("x")),
                    () -> storage.open(uniqueKey("x"), 0, -1),
                    () -> storage.list("", null, 10))) {
                Throwable failure = catchThrowable(call::execute);
                assertThat(failure).isInstanceOf(StorageException.class).isNotInstanceOf(NoSuchObjectException.class)
                        .hasMessageContaining("HTTP 403");
                assertThat(((StorageException) failure).retryable()).isFalse();
                assertNoSecretIn(failure, wrong);
            }
        }
    }

    @Test
    void aMissingBucketIsPermanent() {
        try (MediaStorage storage = storage(Map.of("bucket", "no-such-bucket"))) {
            for (Executable call : List.<Executable>of(
                    () -> storage.put("x", new ByteArrayInputStream(new byte[1]), 1, "text/plain"),
                    () -> storage.open("x", 0, -1),
                    () -> storage.list("", null, 10))) {
                Throwable failure = catchThrowable(call::execute);
                assertThat(failure).isInstanceOf(StorageException.class).isNotInstanceOf(NoSuchObjectException.class)
                        .hasMessageContaining("no-such-bucket").hasMessageContaining("NoSuchBucket");
                assertThat(((StorageException) failure).retryable()).isFalse();
            }
        }
    }

    @Test
    void anUnreachableStoreIsRetryableAndFailsFast() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        try (MediaStorage storage = storage(Map.of("endpoint", "http://127.0.0.1:" + closedPort))) {
            assertRetryableWithin(Duration.ofSeconds(10), storage);
        }
    }

    @Test
    void aStoreThatNeverAnswersTimesOutRetryably() throws IOException {
        // The kernel accepts connections into the backlog; nothing ever reads or answers them.
        try (ServerSocket silent = new ServerSocket(0, 50);
             MediaStorage storage = storage(Map.of("endpoint", "http://127.0.0.1:" + silent.getLocalPort(),
                     "socket-timeout-ms", "300", "connect-timeout-ms", "300"))) {
            assertRetryableWithin(Duration.ofSeconds(15), storage);
        }
    }

    private static void assertRetryableWithin(Duration limit, MediaStorage storage) {
        List<Executable> calls = List.of(
                () -> storage.put("k", new ByteArrayInputStream(new byte[10]), 10, "text/plain"),
                () -> storage.stat("k"),
                () -> storage.open("k", 0, -1),
                () -> storage.delete("k"),
                () -> storage.list("", null, 10));
        for (Executable call : calls) {
            long start = System.nanoTime();
            Throwable failure = catchThrowable(call::execute);
            Duration took = Duration.ofNanos(System.nanoTime() - start);

            assertThat(failure).isInstanceOf(StorageException.class).isNotInstanceOf(NoSuchObjectException.class);
            assertThat(((StorageException) failure).retryable()).as("%s", failure).isTrue();
            assertThat(took).as("time to fail").isLessThan(limit);
            assertNoSecretIn(failure, S3ProxyServer.SECRET);
        }
    }

    private static void assertNoSecretIn(Throwable failure, String secret) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            assertThat(String.valueOf(t.getMessage())).doesNotContain(secret);
            assertThat(t.toString()).doesNotContain(secret);
            for (Throwable suppressed : t.getSuppressed()) {
                assertThat(suppressed.toString()).doesNotContain(secret);
            }
        }
    }

    private static HttpResponse<byte[]> get(URI uri) throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }
}
