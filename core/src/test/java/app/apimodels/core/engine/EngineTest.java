package app.apimodels.core.engine;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/**
 * A test class on one engine: the subclass starts {@link #gateway} in its own {@code @BeforeAll}
 * (each class needs its own settings) on {@link #dir}; this closes it after the class's last test
 * and resets the scripted upstream before each test, so no test sees another's script or calls.
 */
abstract class EngineTest {

    @TempDir
    static Path dir;
    static EngineHarness gateway;

    @AfterAll
    static void closeEngine() {
        if (gateway != null) {
            gateway.close();
            gateway = null;
        }
    }

    @BeforeEach
    void resetUpstream() {
        gateway.upstream.reset();
    }
}
