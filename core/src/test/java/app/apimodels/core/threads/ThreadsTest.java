package app.apimodels.core.threads;

import org.junit.jupiter.api.Test;

import java.net.URL;
import java.net.URLClassLoader;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class ThreadsTest {

    @Test
    void daemonsCarryNoContextClassLoaderSoThreadsStartedFromThemInheritNone() throws Exception {
        Threads.Daemons daemons = new Threads.Daemons("threads-test");
        ExecutorService pool;
        Thread creator = Thread.currentThread();
        ClassLoader before = creator.getContextClassLoader();
        try (URLClassLoader application = new URLClassLoader("application", new URL[0], null)) {
            creator.setContextClassLoader(application); // as on a server's request thread
            try {
                pool = Executors.newSingleThreadExecutor(daemons);
            } finally {
                creator.setContextClassLoader(before);
            }
            CompletableFuture<ClassLoader> own = new CompletableFuture<>();
            CompletableFuture<ClassLoader> inherited = new CompletableFuture<>();
            creator.setContextClassLoader(application);
            try {
                pool.execute(() -> {
                    own.complete(Thread.currentThread().getContextClassLoader());
                    Thread started = new Thread(() -> inherited.complete(Thread.currentThread().getContextClassLoader()));
                    started.start();
                });
            } finally {
                creator.setContextClassLoader(before);
            }
            assertThat(own.get(10, TimeUnit.SECONDS)).isNull();
            assertThat(inherited.get(10, TimeUnit.SECONDS)).isNull();
        }
        Threads.stop(pool);
        daemons.awaitEnd();
    }

    /**
     * The engine's timers and workers may be inside the embedded database when it stops; an
     * interrupt there makes H2 drop writes it had reported committed. So a running task is left
     * to finish, uninterrupted, and what was only scheduled is dropped rather than waited for.
     */
    @Test
    void stoppingLetsARunningTaskFinishUninterruptedAndDropsDelayedOnes() throws Exception {
        ScheduledExecutorService timer = Executors.newScheduledThreadPool(1, new Threads.Daemons("threads-stop-test"));
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch proceed = new CountDownLatch(1);
        CompletableFuture<Boolean> interrupted = new CompletableFuture<>();
        AtomicBoolean delayedRan = new AtomicBoolean();
        timer.schedule(() -> delayedRan.set(true), 1, TimeUnit.HOURS);
        timer.execute(() -> {
            running.countDown();
            boolean waited = false;
            try {
                waited = proceed.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                interrupted.complete(true);
                return;
            }
            interrupted.complete(!waited || Thread.currentThread().isInterrupted());
        });
        assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();

        CompletableFuture<Void> stopping = CompletableFuture.runAsync(() -> Threads.stop(timer));
        await().atMost(Duration.ofSeconds(10)).until(timer::isShutdown);
        assertThat(stopping).as("stop waits for the running task").isNotDone();
        proceed.countDown();
        stopping.get(30, TimeUnit.SECONDS);

        assertThat(interrupted.get(10, TimeUnit.SECONDS)).as("the running task was interrupted").isFalse();
        assertThat(timer.isTerminated()).isTrue();
        assertThat(delayedRan).as("a delayed task ran at shutdown").isFalse();
    }
}
