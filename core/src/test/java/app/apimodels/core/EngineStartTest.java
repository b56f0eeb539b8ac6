package app.apimodels.core;

import app.apimodels.core.config.ConfigException;
import app.apimodels.core.testing.TestDatabases;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A value that does not fit its key stops the engine's start, naming the key, before anything is opened. */
class EngineStartTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @CsvSource({
            "apimodels.media.redirect, no, 'apimodels.media.redirect must be true or false, got ''no'''",
            "apimodels.tasks.provider-webhooks, yes, 'apimodels.tasks.provider-webhooks must be true or false, got ''yes'''",
            "apimodels.fetch.timeout-seconds, 0, 'apimodels.fetch.timeout-seconds must be from 1 to 31536000, got ''0'''",
            "apimodels.ledger.sweep-seconds, 0, 'apimodels.ledger.sweep-seconds must be from 1 to 31536000, got ''0'''",
            "apimodels.ledger.async-commits, sometimes, 'apimodels.ledger.async-commits must be one of never, settlements, always, got ''sometimes'''",
    })
    void aBadValueStopsStartUpNamingTheKey(String key, String value, String message) {
        var config = TestDatabases.H2.config(Map.of("apimodels.data-dir", dir.toString(), key, value));

        assertThatThrownBy(() -> ApiModels.builder().config(config).build())
                .isInstanceOf(ConfigException.class)
                .hasMessage(message);
        assertThat(dir).as("checked before anything is opened or written").isEmptyDirectory();
    }
}
