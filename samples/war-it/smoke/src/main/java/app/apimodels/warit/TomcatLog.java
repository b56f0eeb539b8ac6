package app.apimodels.warit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Tomcat's {@code catalina.*.log}, read for what its leak detection reports when it stops an
 * application: JDBC drivers left registered, threads left running, thread-locals holding the
 * application's classes (every such message starts "The web application [name]"), and anything
 * "already registered" (MBeans, drivers, a second deployment tripping over the first's leftovers).
 */
final class TomcatLog {

    /**
     * On Java 17 the JDK's HTTP client cannot be closed: its selector thread ends once the client is
     * collected, which Tomcat's check, run right at undeploy, does not wait for (see the servlet
     * adapter's README). Any other thread is a leak.
     */
    private static final Pattern JDK_HTTP_SELECTOR = Pattern.compile("started a thread named \\[HttpClient-\\d+-SelectorManager]");
    /**
     * Tomcat's own utility pool grows while it runs a context's background work (session expiry,
     * reloading checks) with that context's class loader as the thread's context loader, so a new
     * pool thread inherits it and the check, run at undeploy, names it as the application's. It is
     * the container's thread, not one the application started (seen once on a clean-clone CI run).
     */
    private static final Pattern CATALINA_UTILITY = Pattern.compile("started a thread named \\[Catalina-utility-\\d+]");
    /**
     * Weld ends its worker pool as the application stops; on a busy machine the check can still see
     * a worker ending (seen once on Tomcat 11 under load: the stack Tomcat printed for it was empty,
     * the thread had ended by then). Weld's pool thread, gone a moment later.
     */
    private static final Pattern WELD_WORKER = Pattern.compile("started a thread named \\[weld-worker-\\d+]");
    private final Path directory;

    TomcatLog(Path directory) {
        this.directory = directory;
    }

    /**
     * The leak reports about application {@code name}, once Tomcat has logged {@code undeploys}
     * undeployments of it (its file handler writes asynchronously; the undeploy line follows the
     * leak checks). Fails if that line has not appeared by the deadline.
     */
    List<String> leaksAfter(String name, int undeploys, Duration deadline) throws InterruptedException {
        String undeployed = "Undeploying context [/" + name + "]";
        long end = System.nanoTime() + deadline.toNanos();
        List<String> lines;
        try (WatchService watch = directory.getFileSystem().newWatchService()) {
            directory.register(watch, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY);
            // Woken by each write to the directory's files, not by the clock.
            while ((lines = lines()).stream().filter(line -> line.contains(undeployed)).count() < undeploys) {
                long left = end - System.nanoTime();
                WatchKey key = left > 0 ? watch.poll(left, TimeUnit.NANOSECONDS) : null;
                if (key == null) {
                    throw new AssertionError("Tomcat did not log '" + undeployed + "' " + undeploys + " times within " + deadline);
                }
                key.pollEvents();
                key.reset();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String application = "The web application [" + name + "]";
        return lines.stream()
                .filter(line -> (line.contains(application) && !JDK_HTTP_SELECTOR.matcher(line).find()
                        && !CATALINA_UTILITY.matcher(line).find() && !WELD_WORKER.matcher(line).find())
                        || line.toLowerCase(Locale.ROOT).contains("already registered"))
                .toList();
    }

    private List<String> lines() {
        try (Stream<Path> files = Files.list(directory)) {
            return files.filter(file -> file.getFileName().toString().startsWith("catalina.")).sorted()
                    .flatMap(TomcatLog::read).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Stream<String> read(Path file) {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8).stream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
