package app.apimodels.core.threads;

import org.junit.jupiter.api.Test;

import java.net.URL;
import java.net.URLClassLoader;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

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
        pool.shutdown();
        Threads.awaitTermination(pool);
        daemons.awaitEnd();
    }
}
