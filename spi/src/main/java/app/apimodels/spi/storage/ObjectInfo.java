package app.apimodels.spi.storage;

import java.time.Instant;

/** A stored object's metadata. */
public record ObjectInfo(String key, long size, String contentType, Instant lastModified) {
}
