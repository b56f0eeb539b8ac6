package app.apimodels.storage.s3;

import app.apimodels.spi.storage.StorageConfig;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.BlobStoreContext;

import java.net.URI;
import java.util.HashMap;
import java.util.Map;

/**
 * S3Proxy in this JVM on a free port, over jclouds' in-memory blob store, with SigV4 credentials.
 * Shared with the end-to-end tests through this module's test jar.
 */
public final class S3ProxyServer implements AutoCloseable {

    public static final String ACCESS_KEY_ID = "AKIAAPIMODELSTEST01";
    public static final String SECRET = "s3cr3t-Sh0uld-N3ver-Sh0w-9f8e7d6c5b4a";
    public static final String BUCKET = "media-test";

    private final BlobStoreContext context;
    private final S3Proxy proxy;

    public S3ProxyServer() throws Exception {
        context = ContextBuilder.newBuilder("transient").credentials("unused", "unused").build(BlobStoreContext.class);
        context.getBlobStore().createContainerInLocation(null, BUCKET);
        proxy = S3Proxy.builder()
                .blobStore(context.getBlobStore())
                .endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY_ID, SECRET)
                .build();
        proxy.start();
    }

    public String endpoint() {
        return "http://127.0.0.1:" + proxy.getPort();
    }

    public BlobStore blobStore() {
        return context.getBlobStore();
    }

    /** Settings for the test bucket, path-style, with static credentials and a key prefix, plus {@code extra}. */
    /** The engine settings ({@code apimodels.storage.*}) for the test bucket. */
    public Map<String, String> engineSettings() {
        Map<String, String> settings = new HashMap<>();
        settings.put("apimodels.storage.type", "s3");
        config(Map.of()).options().forEach((k, v) -> settings.put("apimodels.storage." + k, v));
        return settings;
    }

    /** Stops serving (a storage outage); the stored objects stay. */
    public void stop() throws Exception {
        proxy.stop();
    }

    StorageConfig config(Map<String, String> extra) {
        Map<String, String> options = new HashMap<>(Map.of(
                "bucket", BUCKET,
                "endpoint", endpoint(),
                "path-style", "true",
                "access-key-id", ACCESS_KEY_ID,
                "secret-access-key", SECRET,
                "prefix", "media"));
        options.putAll(extra);
        return new StorageConfig("s3", options);
    }

    @Override
    public void close() throws Exception {
        proxy.stop();
        context.close();
    }
}
