package app.apimodels.core.media;

/**
 * A stored file: an upload, a model input fetched from a client's URL, or a generated output.
 *
 * @param kind      {@code upload}, {@code input} or {@code output}
 * @param expiresAt when the retention job deletes it (epoch ms), or null to keep it
 */
public record MediaObject(String id, long accountId, String kind, String storageKey, String contentType, long size,
                          String sha256, String fileName, String taskId, long createdAt, Long expiresAt) {
}
