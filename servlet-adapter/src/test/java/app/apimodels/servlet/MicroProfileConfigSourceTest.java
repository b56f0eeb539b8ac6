package app.apimodels.servlet;

import io.smallrye.config.EnvConfigSource;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The engine's settings read through MicroProfile Config (SmallRye Config), with its ordinals and environment mapping. */
class MicroProfileConfigSourceTest {

    /** Properties at ordinal 100 (like microprofile-config.properties), environment variables at 300. */
    private static MicroProfileConfigSource config(Map<String, String> properties, Map<String, String> environment) {
        return new MicroProfileConfigSource(new SmallRyeConfigBuilder()
                .withSources(new PropertiesConfigSource(properties, "test.properties", 100))
                .withSources(new EnvConfigSource(environment, 300))
                .build());
    }

    @Test
    void readsPropertiesAndEnvironmentVariablesByTheirMicroProfileNames() {
        var config = config(Map.of("apimodels.data-dir", "/from/file", "apimodels.db.url", "jdbc:h2:mem:file"),
                Map.of("APIMODELS_DB_URL", "jdbc:postgresql://db/env"));

        assertThat(config.get("apimodels.data-dir")).hasValue("/from/file");
        assertThat(config.get("apimodels.db.url")).as("the environment's ordinal is higher").hasValue("jdbc:postgresql://db/env");
        assertThat(config.get("apimodels.db.jndi")).isEmpty();
    }

    @Test
    void anEmptyValueIsNoValue() {
        assertThat(config(Map.of("apimodels.catalog", ""), Map.of()).get("apimodels.catalog")).isEmpty();
    }

    @Test
    void listsPlugInSettingsFromBothKindsOfName() {
        var config = config(
                Map.of("apimodels.storage.bucket", "from-file", "apimodels.storage.region", "eu-west-1",
                        "apimodels.storage.", "no name", "apimodels.storagex", "other prefix"),
                Map.of("APIMODELS_STORAGE_BUCKET", "from-env", "APIMODELS_STORAGE_PATH_STYLE", "true",
                        "APIMODELS_DB_URL", "not storage"));

        assertThat(config.startingWith("apimodels.storage.")).containsExactlyInAnyOrderEntriesOf(Map.of(
                "bucket", "from-env",
                "region", "eu-west-1",
                "path-style", "true"));
    }
}
