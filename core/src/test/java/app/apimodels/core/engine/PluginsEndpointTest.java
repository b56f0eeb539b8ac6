package app.apimodels.core.engine;

import app.apimodels.core.ApiModels;
import app.apimodels.core.config.ConfigSource;
import app.apimodels.core.storage.LocalDiskStorageFactory;
import app.apimodels.spi.storage.MediaStorage;
import app.apimodels.spi.storage.StorageConfig;
import app.apimodels.testkit.web.MockExchange;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static app.apimodels.core.engine.EngineHarness.ADMIN_KEY;
import static app.apimodels.core.engine.EngineHarness.WAIT;
import static app.apimodels.core.engine.EngineHarness.expect;
import static app.apimodels.core.engine.EngineHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code GET /admin/plugins} reports the plug-ins the engine really uses and where each came from. */
class PluginsEndpointTest {

    @TempDir
    Path dir;

    @Test
    void theBuildersStorageIsReportedNotTheTypeSettingAndEveryPluginSaysWhereItCameFrom() {
        MediaStorage given = new LocalDiskStorageFactory().create(new StorageConfig("local", Map.of("dir", dir.resolve("given").toString())));
        ApiModels engine = ApiModels.builder()
                .config(ConfigSource.of(Map.of(
                        "apimodels.data-dir", dir.resolve("data").toString(),
                        "apimodels.bootstrap.admin-key", ADMIN_KEY,
                        // No such storage type here: the builder's storage is used, so it does not matter.
                        "apimodels.storage.type", "s3")))
                .provider(new ScriptedProvider())
                .storage(given)
                .build();
        try {
            MockExchange request = MockExchange.get("/admin/plugins").bearer(ADMIN_KEY).build();
            engine.handle(request);
            JsonNode report = json(expect(request.awaitAnswer(WAIT), 200));

            assertThat(report.get("storage").asText()).isEqualTo(given.getClass().getName());
            assertThat(report.at("/origins/storage/" + given.getClass().getName()).asText()).isEqualTo("builder");
            assertThat(report.at("/origins/providers/scripted").asText()).isEqualTo("builder");
            assertThat(report.at("/origins/transports/jdk").asText()).isEqualTo("service-loader");
            assertThat(report.get("providers").toString()).isEqualTo("[\"scripted\"]");
        } finally {
            engine.close();
        }
    }
}
