package app.apimodels.storage.s3;

import app.apimodels.spi.storage.MediaStorageFactory;
import app.apimodels.spi.storage.StorageConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class S3SettingsTest {

    private static final String SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    @Test
    void theFactoryIsFoundAsS3() {
        assertThat(ServiceLoader.load(MediaStorageFactory.class).stream().map(p -> p.get().type()))
                .contains("s3");
    }

    @Test
    void defaultsSuitAwsS3() {
        S3Settings settings = S3Settings.from(new StorageConfig("s3", Map.of("bucket", "media")));

        assertThat(settings.region()).isEqualTo("us-east-1");
        assertThat(settings.endpoint()).isEmpty();
        assertThat(settings.pathStyle()).isFalse();
        assertThat(settings.accessKeyId()).isEmpty();
        assertThat(settings.prefix()).isEmpty();
        assertThat(settings.publicBaseUrl()).isEmpty();
        assertThat(settings.multipartThreshold()).isEqualTo(8 * 1024 * 1024);
        assertThat(settings.partSize()).isEqualTo(8 * 1024 * 1024);
        assertThat(settings.connectTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(settings.socketTimeout()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void anR2ConfigurationIsRead() {
        S3Settings settings = S3Settings.from(new StorageConfig("s3", Map.of(
                "bucket", "media", "region", "auto", "endpoint", "https://0123abcd.r2.cloudflarestorage.com",
                "access-key-id", "id", "secret-access-key", SECRET, "prefix", "/prod/media",
                "public-base-url", "https://media.example.com", "path-style", "TRUE",
                "part-size-bytes", "5242880", "connect-timeout-ms", "1500")));

        assertThat(settings.region()).isEqualTo("auto");
        assertThat(settings.endpoint()).contains(URI.create("https://0123abcd.r2.cloudflarestorage.com"));
        assertThat(settings.pathStyle()).isTrue();
        assertThat(settings.prefix()).isEqualTo("prod/media/");
        assertThat(settings.publicBaseUrl()).contains("https://media.example.com/");
        assertThat(settings.partSize()).isEqualTo(5 * 1024 * 1024);
        assertThat(settings.connectTimeout()).isEqualTo(Duration.ofMillis(1500));
        assertThat(settings.toString()).doesNotContain(SECRET);
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
            "bucket|''|apimodels.storage.bucket",
            "bucket|a/b|apimodels.storage.bucket",
            "region|US East|apimodels.storage.region",
            "endpoint|not a url|apimodels.storage.endpoint",
            "endpoint|ftp://files.example.com|apimodels.storage.endpoint",
            "public-base-url|media.example.com|apimodels.storage.public-base-url",
            "path-style|yes|apimodels.storage.path-style",
            "prefix|a/../b|apimodels.storage.prefix",
            "prefix|a b|apimodels.storage.prefix",
            "multipart-threshold-bytes|8MB|apimodels.storage.multipart-threshold-bytes",
            "multipart-threshold-bytes|-1|apimodels.storage.multipart-threshold-bytes",
            "part-size-bytes|1048576|apimodels.storage.part-size-bytes",
            "part-size-bytes|99999999999|apimodels.storage.part-size-bytes",
            "connect-timeout-ms|0|apimodels.storage.connect-timeout-ms",
            "socket-timeout-ms|soon|apimodels.storage.socket-timeout-ms",
            "max-connections|0|apimodels.storage.max-connections",
            "access-key-id|''|apimodels.storage.access-key-id"})
    void badSettingsAreNamed(String option, String value, String named) {
        Map<String, String> options = new HashMap<>(Map.of("bucket", "media", "access-key-id", "AKIAEXAMPLE",
                "secret-access-key", SECRET));
        options.put(option, value);

        assertThatThrownBy(() -> new S3MediaStorageFactory().create(new StorageConfig("s3", options)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(named)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(SECRET));
    }

    @Test
    void anAccessKeyNeedsItsSecret() {
        assertThatThrownBy(() -> S3Settings.from(new StorageConfig("s3", Map.of("bucket", "media", "access-key-id", "AKIA"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("apimodels.storage.secret-access-key");
    }

    @Test
    void prefixesAreNormalised() {
        assertThat(prefixOf("media")).isEqualTo("media/");
        assertThat(prefixOf("/media/")).isEqualTo("media/");
        assertThat(prefixOf("a/b")).isEqualTo("a/b/");
        assertThat(prefixOf(null)).isEmpty();
    }

    private static String prefixOf(String prefix) {
        Map<String, String> options = new HashMap<>(Map.of("bucket", "media"));
        Optional.ofNullable(prefix).ifPresent(p -> options.put("prefix", p));
        return S3Settings.from(new StorageConfig("s3", options)).prefix();
    }
}
