package app.apimodels.warit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/**
 * The JVM a server runs in, seen from outside through {@code jcmd} (the JDK's diagnostic commands), as
 * an operator would: which of the application's classes it still has loaded. Found by a value only
 * that server's command line holds (the smoke test's admin key, passed as a {@code -D} option); a
 * server embedded in the test's own JVM (Jetty) has none, so it is this JVM.
 */
final class ServerJvm {

    /** Every class of the WAR's own code, and none of the server's. */
    private static final String APPLICATION_PACKAGE = "app.apimodels.";
    /**
     * The loader of this JVM's class path, where an embedded server's test has its own copies of
     * some application classes (the JSON mapper, the test kit); never a web application's loader.
     */
    private static final String CLASS_PATH_LOADER = "jdk.internal.loader.ClassLoaders$AppClassLoader";
    private static final long COMMAND_TIMEOUT_SECONDS = 60;
    private static final long ENDING_SECONDS = 10;

    private final ProcessHandle process;

    private ServerJvm(ProcessHandle process) {
        this.process = process;
    }

    /** The JVM whose command line contains {@code marker}, else this one. */
    static ServerJvm withArgument(String marker) {
        return new ServerJvm(ProcessHandle.allProcesses()
                .filter(p -> p.pid() != ProcessHandle.current().pid())
                // Not a shell that started the server with the same arguments.
                .filter(p -> p.info().command().map(command -> command.endsWith("/java")).orElse(false))
                .filter(p -> p.info().arguments().map(args -> List.of(args).stream().anyMatch(a -> a.contains(marker))).orElse(false))
                .findFirst().orElse(ProcessHandle.current()));
    }

    long pid() {
        return process.pid();
    }

    /**
     * Runs a full collection (which unloads the classes of every class loader nothing references any
     * more), then names the application's classes still loaded, outside this JVM's class path. Empty
     * also when the process has ended (Payara Micro ends with its only application).
     */
    List<String> applicationClassesAfterFullGc() {
        if (!process.isAlive()) {
            return List.of();
        }
        Optional<String> collected = jcmd("GC.run");
        Optional<String> hierarchy = collected.flatMap(ignored -> jcmd("VM.class_hierarchy"));
        Optional<String> loaders = hierarchy.flatMap(ignored -> jcmd("VM.classloader_stats"));
        if (loaders.isEmpty()) {
            return List.of();
        }
        Set<String> classPathLoaderData = loaders.get().lines().filter(line -> line.endsWith(CLASS_PATH_LOADER))
                .map(line -> line.trim().split("\\s+")[2]).collect(Collectors.toSet());
        // Lines read "|  |--app.apimodels.core.Engine/0x00007f…" (the class, then its loader's data).
        return hierarchy.get().lines()
                .map(line -> line.replaceFirst("^[|\\s-]*", "").replaceFirst(" \\(intf\\)$", ""))
                .filter(entry -> entry.startsWith(APPLICATION_PACKAGE))
                .filter(entry -> !classPathLoaderData.contains(entry.substring(entry.lastIndexOf('/') + 1)))
                .sorted().toList();
    }

    /**
     * Whether the process has ended, or ends within a few seconds: a command can fail because the
     * process is ending under it (Payara Micro stops itself with its application).
     */
    private boolean ended() throws InterruptedException {
        try {
            process.onExit().get(ENDING_SECONDS, TimeUnit.SECONDS);
            return true;
        } catch (ExecutionException | TimeoutException e) {
            return !process.isAlive();
        }
    }

    /**
     * What it takes to find why a class loader is kept: the JVM's threads (with their stacks) and a heap
     * dump (to follow the path from a root to the loader), written to {@code directory}; returns where.
     */
    String dumpTo(Path directory) {
        try {
            Files.createDirectories(directory);
            Path threads = directory.resolve("threads-" + process.pid() + ".txt");
            Path heap = directory.resolve("heap-" + process.pid() + ".hprof");
            Files.deleteIfExists(heap);
            Files.writeString(threads, jcmd("Thread.print").orElse("(the process has ended)"));
            jcmd("GC.heap_dump", heap.toString());
            return threads + ", " + heap;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The command's output, or empty if the process ended before it answered. */
    private Optional<String> jcmd(String... command) {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        List<String> line = new ArrayList<>(List.of(jcmd.toString(), Long.toString(process.pid())));
        line.addAll(List.of(command));
        try {
            Process run = new ProcessBuilder(line)
                    .redirectErrorStream(true).start();
            String output = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!run.waitFor(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                run.destroyForcibly();
                throw new IllegalStateException("jcmd " + line + " did not end");
            }
            if (run.exitValue() != 0) {
                if (ended()) {
                    return Optional.empty();
                }
                throw new IllegalStateException("jcmd " + line + " failed: " + output);
            }
            return Optional.of(output);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
