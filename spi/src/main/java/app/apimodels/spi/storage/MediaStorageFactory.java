package app.apimodels.spi.storage;

/**
 * Creates a {@link MediaStorage} from configuration; found by {@link java.util.ServiceLoader}
 * (and as a CDI bean inside a container) and chosen by {@code apimodels.storage.type}.
 */
public interface MediaStorageFactory {

    /** The configuration name, e.g. {@code local} or {@code s3}. */
    String type();

    /**
     * @throws IllegalArgumentException naming the setting if the configuration is incomplete or wrong
     */
    MediaStorage create(StorageConfig config);
}
