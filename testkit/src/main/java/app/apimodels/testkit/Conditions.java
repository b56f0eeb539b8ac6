package app.apimodels.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Waiting on conditions with a deadline, shared by the contracts. */
final class Conditions {

    /** Upper bound for anything a test waits for; generous because CI machines stall. */
    static final long WAIT_SECONDS = 15;

    private Conditions() {
    }

    static <T> T await(CompletableFuture<T> future) throws Exception {
        return future.get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    static void await(CountDownLatch latch, String what) {
        try {
            assertThat(latch.await(WAIT_SECONDS, TimeUnit.SECONDS)).as("waiting for " + what).isTrue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted waiting for " + what, e);
        }
    }

    /**
     * The future's failure, which must be of {@code type} itself: implementations complete their
     * futures with their own exception, not wrapped in a {@code CompletionException}, so callers
     * can inspect it directly.
     */
    static <E extends Throwable> E failureOf(CompletableFuture<?> future, Class<E> type) {
        Throwable failure;
        try {
            failure = future.handle((value, error) -> error).get(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("neither succeeded nor failed in time", e);
        }
        assertThat(failure).as("should have failed").isInstanceOf(type);
        return type.cast(failure);
    }

    /** A local port nothing listens on (it was free a moment ago). */
    static int closedPort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
