package app.apimodels.core.tasks;

import app.apimodels.core.media.MediaObject;

import java.util.List;

/**
 * A task as its owner lists it: what was asked, where it stands, what it cost and the files it
 * made (those not yet deleted, in output order).
 *
 * @param kind       {@code image}, {@code video}, {@code audio} or {@code speech}
 * @param state      {@code pending}, {@code completed} or {@code failed}
 * @param prompt     the prompt, or null once the content retention removed it
 * @param costMicros what was charged, or null while it runs (a failed task: 0)
 */
public record TaskSummary(String id, String kind, String model, String state, String prompt, Long costMicros,
                          long createdAt, Long completedAt, String failMsg, List<MediaObject> files) {
}
