package app.apimodels.core.storage;

import app.apimodels.spi.storage.MediaStorage;
import app.apimodels.spi.storage.MediaStorageFactory;
import app.apimodels.spi.storage.StorageConfig;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/** {@code apimodels.storage.type=local}: media in the directory {@code apimodels.storage.dir}. */
public final class LocalDiskStorageFactory implements MediaStorageFactory {

    @Override
    public String type() {
        return "local";
    }

    @Override
    public MediaStorage create(StorageConfig config) {
        String dir = config.require("dir");
        try {
            return new LocalDiskStorage(Path.of(dir));
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException("apimodels.storage.dir is not a valid path: " + e.getReason(), e);
        }
    }
}
