package app.apimodels.storage.s3;

import app.apimodels.spi.storage.MediaStorage;
import app.apimodels.spi.storage.NoSuchObjectException;
import app.apimodels.spi.storage.ObjectContent;
import app.apimodels.spi.storage.ObjectInfo;
import app.apimodels.spi.storage.StorageException;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;
import software.amazon.awssdk.utils.SdkAutoCloseable;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Media in an S3 bucket, or in anything speaking its API (Cloudflare R2, MinIO, S3Proxy). Small
 * objects go up in one PUT from memory; objects of unknown size or above the threshold go up as a
 * multipart upload, part by part as the source is read, and are aborted on any failure — S3 shows
 * an object only once it is complete, so nothing partial is ever readable.
 */
final class S3MediaStorage implements MediaStorage {

    /** Segments of {@code [A-Za-z0-9._-]}, none empty, "." or "..", joined by single slashes. */
    private static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9._/-]*");
    /** SigV4 presigned URLs live at most a week. */
    static final Duration MAX_LINK_VALIDITY = Duration.ofDays(7);
    private static final int MAX_PARTS = 10_000;
    private static final int MAX_KEYS_PER_LIST = 1000;
    private static final String BINARY = "application/octet-stream";

    private final S3Settings settings;
    private final SdkHttpClient http;
    private final AwsCredentialsProvider credentials;
    private final S3Client s3;
    private final S3Presigner presigner;

    S3MediaStorage(S3Settings settings) {
        this.settings = settings;
        this.http = Apache5HttpClient.builder()
                .connectionTimeout(settings.connectTimeout())
                .socketTimeout(settings.socketTimeout())
                .maxConnections(settings.maxConnections())
                .build();
        this.credentials = settings.accessKeyId()
                .<AwsCredentialsProvider>map(id -> StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(id, settings.secretAccessKey().orElseThrow())))
                .orElseGet(() -> DefaultCredentialsProvider.builder().build());
        Region region = Region.of(settings.region());
        S3ClientBuilder client = S3Client.builder()
                .httpClient(http)
                .region(region)
                .credentialsProvider(credentials)
                .forcePathStyle(settings.pathStyle());
        S3Presigner.Builder links = S3Presigner.builder()
                .region(region)
                .credentialsProvider(credentials)
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(settings.pathStyle()).build());
        settings.endpoint().ifPresent(endpoint -> {
            client.endpointOverride(endpoint)
                    // The SDK's default CRC trailers are not understood by every S3-compatible
                    // server (older MinIO, S3Proxy, R2 at times); send checksums only where required.
                    .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                    .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
            links.endpointOverride(endpoint);
        });
        this.s3 = client.build();
        this.presigner = links.build();
    }

    // ---- put -----------------------------------------------------------------------------

    @Override
    public ObjectInfo put(String key, InputStream data, long size, String contentType) {
        String objectKey = objectKey(key);
        if (size < -1) {
            throw new IllegalArgumentException("size must be -1 or at least 0, got " + size);
        }
        String type = contentType == null || contentType.isBlank() ? BINARY : contentType;
        int threshold = settings.multipartThreshold();
        long stored;
        if (size >= 0 && size <= threshold) {
            byte[] body = readAtMost(data, (int) size, key);
            if (body.length < size || readByte(data, key) != -1) {
                throw sizeMismatch(key, size, body.length < size ? body.length + " bytes" : "more bytes");
            }
            stored = putWhole(key, objectKey, body, type);
        } else if (size >= 0) {
            stored = putInParts(key, objectKey, data, size, type);
        } else {
            byte[] head = readAtMost(data, threshold + 1, key);
            stored = head.length <= threshold
                    ? putWhole(key, objectKey, head, type)
                    : putInParts(key, objectKey, new SequenceInputStream(new ByteArrayInputStream(head), data), -1, type);
        }
        // S3 answers a PUT without the object's time; this is within the request's duration of it.
        return new ObjectInfo(key, stored, type, Instant.now());
    }

    private long putWhole(String key, String objectKey, byte[] body, String type) {
        try {
            s3.putObject(request -> request.bucket(settings.bucket()).key(objectKey).contentType(type)
                            .contentLength((long) body.length),
                    RequestBody.fromContentProvider(() -> new ByteArrayInputStream(body), body.length, type));
            return body.length;
        } catch (SdkException e) {
            throw failure("upload", key, e);
        }
    }

    private long putInParts(String key, String objectKey, InputStream data, long size, String type) {
        // Known large sizes get bigger parts so they fit S3's limit on the number of parts.
        int partSize = size < 0 ? settings.partSize()
                : (int) Math.min(S3Settings.MAX_BUFFER, Math.max(settings.partSize(), -Math.floorDiv(-size, MAX_PARTS)));
        String uploadId;
        try {
            uploadId = s3.createMultipartUpload(request -> request.bucket(settings.bucket()).key(objectKey).contentType(type))
                    .uploadId();
        } catch (SdkException e) {
            throw failure("upload", key, e);
        }
        try {
            List<CompletedPart> parts = new ArrayList<>();
            // A known size smaller than a part needs no full part's buffer; one byte more detects a longer source.
            byte[] buffer = new byte[size < 0 ? partSize : (int) Math.min(partSize, size + 1)];
            long total = 0;
            int filled;
            while ((filled = fill(data, buffer, key)) > 0) {
                if (parts.size() == MAX_PARTS) {
                    throw new StorageException(key + " is too large: more than " + MAX_PARTS + " parts of " + partSize
                            + " bytes (raise apimodels.storage.part-size-bytes)", false, null);
                }
                parts.add(uploadPart(objectKey, uploadId, parts.size() + 1, buffer, filled));
                total += filled;
                if (filled < buffer.length || (size >= 0 && total > size)) {
                    break;
                }
            }
            if (size >= 0 && total != size) {
                throw sizeMismatch(key, size, total > size ? "more bytes" : total + " bytes");
            }
            s3.completeMultipartUpload(request -> request.bucket(settings.bucket()).key(objectKey).uploadId(uploadId)
                    .multipartUpload(upload -> upload.parts(parts)));
            return total;
        } catch (SdkException e) {
            StorageException failure = failure("upload", key, e);
            abort(objectKey, uploadId, failure);
            throw failure;
        } catch (RuntimeException | Error e) {
            abort(objectKey, uploadId, e);
            throw e;
        }
    }

    private CompletedPart uploadPart(String objectKey, String uploadId, int number, byte[] buffer, int length) {
        UploadPartRequest request = UploadPartRequest.builder()
                .bucket(settings.bucket()).key(objectKey).uploadId(uploadId)
                .partNumber(number).contentLength((long) length)
                .build();
        // A stream per attempt, so the SDK's retries resend the whole part.
        String eTag = s3.uploadPart(request,
                RequestBody.fromContentProvider(() -> new ByteArrayInputStream(buffer, 0, length), length, BINARY)).eTag();
        return CompletedPart.builder().partNumber(number).eTag(eTag).build();
    }

    private void abort(String objectKey, String uploadId, Throwable failure) {
        try {
            s3.abortMultipartUpload(request -> request.bucket(settings.bucket()).key(objectKey).uploadId(uploadId));
        } catch (SdkException e) {
            // The parts stay invisible; a bucket lifecycle rule for incomplete uploads removes them.
            failure.addSuppressed(e);
        }
    }

    private static byte[] readAtMost(InputStream data, int length, String key) {
        try {
            return data.readNBytes(length);
        } catch (IOException e) {
            throw sourceFailure(key, e);
        }
    }

    private static int readByte(InputStream data, String key) {
        try {
            return data.read();
        } catch (IOException e) {
            throw sourceFailure(key, e);
        }
    }

    /** Fills {@code buffer} unless the data ends first; returns how much was read. */
    private static int fill(InputStream data, byte[] buffer, String key) {
        try {
            return data.readNBytes(buffer, 0, buffer.length);
        } catch (IOException e) {
            throw sourceFailure(key, e);
        }
    }

    /** The data source failed, not the storage: fetching it again may well work. */
    private static StorageException sourceFailure(String key, IOException e) {
        return new StorageException("reading the data for " + key + " failed: " + e.getMessage(), true, e);
    }

    private static StorageException sizeMismatch(String key, long declared, String actual) {
        return new StorageException("data for " + key + " had " + actual + ", not the declared " + declared, false, null);
    }

    // ---- read ----------------------------------------------------------------------------

    @Override
    public ObjectContent open(String key, long offset, long length) {
        String objectKey = objectKey(key);
        if (offset < 0 || length == 0 || length < -1) {
            throw new IllegalArgumentException("bad range: offset " + offset + ", length " + length);
        }
        boolean whole = offset == 0 && length == -1;
        GetObjectRequest.Builder request = GetObjectRequest.builder().bucket(settings.bucket()).key(objectKey);
        if (!whole) {
            boolean toEnd = length == -1 || length > Long.MAX_VALUE - offset;
            request.range("bytes=" + offset + "-" + (toEnd ? "" : String.valueOf(offset + length - 1)));
        }
        ResponseInputStream<GetObjectResponse> stream;
        try {
            stream = s3.getObject(request.build());
        } catch (SdkException e) {
            if (isStatus(e, 416)) {
                throw new IllegalArgumentException("range starts at " + offset + ", past the end of " + key);
            }
            if (isMissingKey(e)) {
                throw new NoSuchObjectException(key);
            }
            throw failure("download", key, e);
        }
        GetObjectResponse response = stream.response();
        long delivered = response.contentLength();
        long total = whole ? delivered : totalSize(response.contentRange());
        if (total < 0) {
            stream.abort();
            throw new StorageException("the server answered a range request for " + key + " without a usable Content-Range",
                    false, null);
        }
        return new ObjectContent(new ResponseStream(stream, delivered), offset, delivered, total, typeOf(response.contentType()));
    }

    /** The size after the slash of {@code bytes 100-199/1000}, or -1. */
    private static long totalSize(String contentRange) {
        int slash = contentRange == null ? -1 : contentRange.lastIndexOf('/');
        try {
            return slash < 0 ? -1 : Long.parseLong(contentRange.substring(slash + 1).trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    @Override
    public Optional<ObjectInfo> stat(String key) {
        String objectKey = objectKey(key);
        try {
            HeadObjectResponse head = s3.headObject(request -> request.bucket(settings.bucket()).key(objectKey));
            return Optional.of(new ObjectInfo(key, head.contentLength(), typeOf(head.contentType()), head.lastModified()));
        } catch (SdkException e) {
            // A HEAD answer has no body, so a missing key and a missing bucket look alike here.
            if (isStatus(e, 404)) {
                return Optional.empty();
            }
            throw failure("stat", key, e);
        }
    }

    @Override
    public void delete(String key) {
        String objectKey = objectKey(key);
        try {
            s3.deleteObject(request -> request.bucket(settings.bucket()).key(objectKey));
        } catch (SdkException e) {
            // S3 answers 204 for a missing key; some compatible servers answer NoSuchKey.
            if (!isMissingKey(e)) {
                throw failure("delete", key, e);
            }
        }
    }

    @Override
    public Optional<URI> readUrl(String key, Duration validity) {
        String objectKey = objectKey(key);
        if (validity == null || validity.isNegative() || validity.isZero()) {
            throw new IllegalArgumentException("validity must be positive");
        }
        if (settings.publicBaseUrl().isPresent()) {
            return Optional.of(URI.create(settings.publicBaseUrl().get() + objectKey));
        }
        Duration lifetime = validity.compareTo(MAX_LINK_VALIDITY) > 0 ? MAX_LINK_VALIDITY : validity;
        try {
            return Optional.of(presigner.presignGetObject(link -> link.signatureDuration(lifetime)
                    .getObjectRequest(get -> get.bucket(settings.bucket()).key(objectKey))).url().toURI());
        } catch (SdkException e) {
            throw failure("link", key, e);
        } catch (URISyntaxException e) {
            throw new StorageException("the presigned link for " + key + " is not a URI", false, e);
        }
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
        String base = settings.prefix();
        List<ObjectInfo> found = new ArrayList<>();
        String token = null;
        try {
            do {
                ListObjectsV2Request.Builder request = ListObjectsV2Request.builder()
                        .bucket(settings.bucket())
                        .prefix(base + searched)
                        .maxKeys(Math.min(limit - found.size(), MAX_KEYS_PER_LIST));
                if (token != null) {
                    request.continuationToken(token);
                } else if (startAfter != null) {
                    request.startAfter(base + startAfter);
                }
                ListObjectsV2Response page = s3.listObjectsV2(request.build());
                for (S3Object object : page.contents()) {
                    if (found.size() < limit) {
                        // Listings carry no content type; a HEAD per object would cost more than it is worth.
                        found.add(new ObjectInfo(object.key().substring(base.length()), object.size(), null, object.lastModified()));
                    }
                }
                token = Boolean.TRUE.equals(page.isTruncated()) ? page.nextContinuationToken() : null;
            } while (token != null && found.size() < limit);
        } catch (SdkException e) {
            throw failure("list", searched, e);
        }
        return found;
    }

    // ---- shared --------------------------------------------------------------------------

    private String objectKey(String key) {
        return settings.prefix() + MediaStorage.checkKey(key);
    }

    private static String typeOf(String contentType) {
        return contentType == null || contentType.isBlank() ? BINARY : contentType;
    }

    private static boolean isStatus(SdkException e, int status) {
        return e instanceof AwsServiceException service && service.statusCode() == status;
    }

    private static boolean isMissingKey(SdkException e) {
        return isStatus(e, 404) && "NoSuchKey".equals(errorCode(e));
    }

    private static String errorCode(SdkException e) {
        return e instanceof AwsServiceException service && service.awsErrorDetails() != null
                ? service.awsErrorDetails().errorCode() : null;
    }

    /**
     * A failure the engine can act on: retryable for outages, throttling and server errors, not
     * for credentials, permissions or a missing bucket. The message holds the status and S3 error
     * code, never a credential; the SDK's exception stays the cause for the logs.
     */
    private StorageException failure(String action, String key, SdkException e) {
        String what = "S3 " + action + " of " + key + " in bucket " + settings.bucket() + " failed: ";
        if (e instanceof AwsServiceException service) {
            int status = service.statusCode();
            String code = errorCode(e);
            boolean retryable = status >= 500 || status == 429 || service.isThrottlingException()
                    || "RequestTimeout".equals(code);
            String hint = switch (status) {
                case 401, 403 -> " (check the access key, the secret and the bucket's permissions)";
                case 404 -> "NoSuchBucket".equals(code) ? " (the bucket does not exist)" : "";
                default -> "";
            };
            return new StorageException(what + "HTTP " + status + (code == null ? "" : " " + code) + hint, retryable, e);
        }
        return new StorageException(what + e.getMessage(), isTransient(e), e);
    }

    /** Timeouts and I/O trouble on the way pass; a client-side mistake such as missing credentials does not. */
    private static boolean isTransient(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof IOException || t instanceof ApiCallTimeoutException || t instanceof ApiCallAttemptTimeoutException) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void close() {
        s3.close();
        presigner.close();
        http.close();
        if (credentials instanceof SdkAutoCloseable closeable) {
            closeable.close();
        }
    }

    @Override
    public String toString() {
        return "S3MediaStorage[" + settings + "]";
    }

    /**
     * The body of a GET. Closed before its end it aborts the connection: closing normally would
     * first read the rest of what may be a very large object.
     */
    private static final class ResponseStream extends FilterInputStream {
        private final ResponseInputStream<GetObjectResponse> response;
        private long remaining;

        ResponseStream(ResponseInputStream<GetObjectResponse> response, long length) {
            super(response);
            this.response = response;
            this.remaining = length;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b != -1) {
                remaining--;
            }
            return b;
        }

        @Override
        public int read(byte[] target, int offset, int length) throws IOException {
            int n = in.read(target, offset, length);
            if (n > 0) {
                remaining -= n;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long skipped = in.skip(n);
            remaining -= skipped;
            return skipped;
        }

        @Override
        public void close() throws IOException {
            if (remaining > 0) {
                response.abort();
            }
            super.close();
        }
    }
}
