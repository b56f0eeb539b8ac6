package app.apimodels.quickstart.e2e;

import app.apimodels.testkit.MockOpenAiUpstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/** What every end-to-end test has: a scratch directory, a mock upstream, and the gateway it starts. */
abstract class EndToEndTest {

    @TempDir
    Path dir;
    final MockOpenAiUpstream upstream = new MockOpenAiUpstream();
    Gateway gateway;

    @AfterEach
    void stopGatewayAndUpstream() {
        if (gateway != null) {
            gateway.close();
        }
        upstream.close();
    }
}
