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

/** S3Proxy in this JVM on a free port, over jclouds' in-memory blob store, with SigV4 credentials. */
final class S3ProxyServer implements AutoCloseable {

    static final String ACCESS_KEY_ID = "AKIAAPIMODELSTEST01";
    static final String SECRET = "s3cr3t-Sh0uld-N3ver-Sh0w-9f8e7d6c5b4a";
    static final String BUCKET = "media-test";

    private final BlobStoreContext context;
    private final S3Proxy proxy;

    S3ProxyServer() throws Exception {
        context = ContextBuilder.newBuilder("transient").credentials("unused", "unused").build(BlobStoreContext.class);
        context.getBlobStore().createContainerInLocation(null, BUCKET);
        proxy = S3Proxy.builder()
                .blobStore(context.getBlobStore())
                .endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY_ID, SECRET)
                .build();
        proxy.start();
    }

    String endpoint() {
        return "http://127.0.0.1:" + proxy.getPort();
    }

    BlobStore blobStore() {
        return context.getBlobStore();
    }

    /** Settings for the test bucket, path-style, with static credentials and a key prefix, plus {@code extra}. */
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
