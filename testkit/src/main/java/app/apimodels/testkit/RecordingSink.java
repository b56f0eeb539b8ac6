package app.apimodels.testkit;

import app.apimodels.spi.provider.ProviderException;
import app.apimodels.spi.provider.StreamChunk;
import app.apimodels.spi.provider.StreamSink;
import app.apimodels.spi.provider.Usage;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A {@link StreamSink} that records what it is given, for tests: wait for the end with
 * {@link #awaitEnd()} (or {@link #awaitError()}), then inspect the calls, and check the sink
 * rules with {@link #assertWellBehaved()}. Waits fail after a deadline instead of hanging.
 */
public final class RecordingSink implements StreamSink {
    private final List<String> events = new CopyOnWriteArrayList<>();
    private final List<StreamChunk> chunks = new CopyOnWriteArrayList<>();
    private final List<Usage> usages = new CopyOnWriteArrayList<>();
    private final AtomicInteger inside = new AtomicInteger();
    private final AtomicBoolean overlapped = new AtomicBoolean();
    private final CountDownLatch firstChunk = new CountDownLatch(1);
    private final CountDownLatch end = new CountDownLatch(1);
    private volatile Runnable onFirstChunk = () -> { };
    private volatile ProviderException error;

    /** Runs {@code action} inside the first {@code onChunk} call, e.g. to cancel from there. */
    public void onFirstChunk(Runnable action) {
        onFirstChunk = action;
    }

    @Override
    public void onChunk(StreamChunk chunk) {
        enter("chunk");
        chunks.add(chunk);
        if (firstChunk.getCount() > 0) {
            onFirstChunk.run();
            firstChunk.countDown();
        }
        leave();
    }

    @Override
    public void onUsage(Usage usage) {
        enter("usage");
        usages.add(usage);
        leave();
    }

    @Override
    public void onComplete() {
        enter("complete");
        leave();
        end.countDown();
    }

    @Override
    public void onError(ProviderException error) {
        enter("error");
        this.error = error;
        leave();
        end.countDown();
    }

    private void enter(String event) {
        if (inside.incrementAndGet() != 1) {
            overlapped.set(true);
        }
        events.add(event);
    }

    private void leave() {
        inside.decrementAndGet();
    }

    /** Waits for {@code onComplete} or {@code onError}. */
    public void awaitEnd() {
        Conditions.await(end, "the stream to end");
    }

    public void awaitFirstChunk() {
        Conditions.await(firstChunk, "the first chunk");
    }

    /** Waits for the end, which must be an error, and returns it. */
    public ProviderException awaitError() {
        awaitEnd();
        assertThat(error).as("stream error (events %s)", events).isNotNull();
        return error;
    }

    /** The calls so far in order: {@code chunk}, {@code usage}, {@code complete}, {@code error}. */
    public List<String> events() {
        return new ArrayList<>(events);
    }

    public List<StreamChunk> chunks() {
        return new ArrayList<>(chunks);
    }

    /** The {@link StreamChunk#text()} of each chunk. */
    public List<String> texts() {
        return chunks.stream().map(StreamChunk::text).toList();
    }

    public List<Usage> usages() {
        return new ArrayList<>(usages);
    }

    /** The calls so far and the error, if any: a description for assertions. */
    @Override
    public String toString() {
        ProviderException failure = error;
        return "RecordingSink" + events + (failure == null ? ""
                : " error " + failure.kind() + ": " + failure.getMessage() + " caused by " + failure.getCause());
    }

    /** One call at a time, at most one usage, exactly one terminal call and it came last. */
    public void assertWellBehaved() {
        assertThat(overlapped).as("callbacks overlapped").isFalse();
        List<String> seen = events();
        assertThat(seen.stream().filter(e -> e.equals("complete") || e.equals("error")).count())
                .as("terminal callbacks in %s", seen).isEqualTo(1);
        assertThat(seen.get(seen.size() - 1)).isIn("complete", "error");
        assertThat(seen.stream().filter("usage"::equals).count()).isLessThanOrEqualTo(1);
    }
}
