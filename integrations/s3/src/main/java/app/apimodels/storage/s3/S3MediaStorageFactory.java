package app.apimodels.storage.s3;

import app.apimodels.spi.storage.MediaStorage;
import app.apimodels.spi.storage.MediaStorageFactory;
import app.apimodels.spi.storage.StorageConfig;

/**
 * {@code apimodels.storage.type=s3}: media in an S3 bucket, a Cloudflare R2 bucket or any other
 * S3-compatible store (MinIO…). The settings are described in this module's README.
 */
public final class S3MediaStorageFactory implements MediaStorageFactory {

    @Override
    public String type() {
        return "s3";
    }

    @Override
    public MediaStorage create(StorageConfig config) {
        return new S3MediaStorage(S3Settings.from(config));
    }
}
