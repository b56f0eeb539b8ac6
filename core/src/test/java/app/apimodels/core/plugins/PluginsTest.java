package app.apimodels.core.plugins;

import app.apimodels.core.config.ConfigException;
import app.apimodels.core.config.ConfigSource;
import app.apimodels.core.config.Settings;
import app.apimodels.core.storage.LocalDiskStorageFactory;
import app.apimodels.spi.http.HttpTransport;
import app.apimodels.spi.http.HttpTransportFactory;
import app.apimodels.spi.http.TransportOptions;
import app.apimodels.spi.mail.MailMessage;
import app.apimodels.spi.mail.Mailer;
import app.apimodels.spi.mail.SendResult;
import app.apimodels.spi.provider.ModelProvider;
import app.apimodels.spi.provider.ProviderClient;
import app.apimodels.spi.provider.ProviderConfig;
import app.apimodels.spi.storage.MediaStorage;
import app.apimodels.spi.storage.StorageConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PluginsTest {

    @TempDir
    Path dir;

    private static final Plugins.Extras NONE = new Plugins.Extras(List.of(), List.of(), List.of(), null, List.of(), List.of(), List.of());

    private Settings settings(Map<String, String> values) {
        Map<String, String> all = new java.util.HashMap<>(values);
        all.put("apimodels.data-dir", dir.toString());
        return new Settings(ConfigSource.of(all));
    }

    @Test
    void findsServiceLoaderPluginsAndOpensTheConfiguredStorage() throws Exception {
        Plugins plugins = new Plugins(getClass().getClassLoader(), NONE);

        try (MediaStorage storage = plugins.openStorage(settings(Map.of()))) {
            assertThat(storage).isNotNull();
            assertThat(dir.resolve("media")).isDirectory();
        }
        Map<String, Object> report = plugins.report();
        assertThat(report.get("storage")).isEqualTo("local");
        assertThat(report.get("transports")).isEqualTo(List.of("jdk"));
        assertThat(report.get("default_transport")).isEqualTo("jdk");
        assertThat(origins(report, "storage")).isEqualTo(Map.of("local", "service-loader"));
        assertThat(origins(report, "transports")).isEqualTo(Map.of("jdk", "service-loader"));
    }

    @Test
    void theBuildersStorageIsTheOneReportedWhateverTheTypeSetting() throws Exception {
        MediaStorage given = new LocalDiskStorageFactory().create(new StorageConfig("local", Map.of("dir", dir.resolve("given").toString())));
        Plugins plugins = new Plugins(getClass().getClassLoader(),
                new Plugins.Extras(List.of(), List.of(), List.of(), given, List.of(), List.of(), List.of()));

        assertThat(plugins.openStorage(settings(Map.of("apimodels.storage.type", "s3")))).isSameAs(given);
        Map<String, Object> report = plugins.report();
        assertThat(report.get("storage")).isEqualTo(given.getClass().getName());
        assertThat(origins(report, "storage")).isEqualTo(Map.of(given.getClass().getName(), "builder"));
        given.close();
    }

    @Test
    void theBuildersPluginsWinANameClashAndSayWhereTheyCameFrom() {
        HttpTransportFactory jdk = new HttpTransportFactory() {
            @Override
            public String name() {
                return "jdk";
            }

            @Override
            public HttpTransport create(TransportOptions options) {
                throw new UnsupportedOperationException();
            }
        };
        ModelProvider provider = new ModelProvider() {
            @Override
            public String type() {
                return "probe";
            }

            @Override
            public ProviderClient create(ProviderConfig config, HttpTransport transport) {
                throw new UnsupportedOperationException();
            }
        };
        Mailer mailer = new Mailer() {
            @Override
            public String type() {
                return "probe-mail";
            }

            @Override
            public SendResult send(MailMessage message) {
                throw new UnsupportedOperationException();
            }
        };
        Plugins plugins = new Plugins(getClass().getClassLoader(),
                new Plugins.Extras(List.of(provider), List.of(jdk), List.of(), null, List.of(), List.of(mailer), List.of()));

        assertThat(plugins.transports().get("jdk").instance()).isSameAs(jdk);
        Map<String, Object> report = plugins.report();
        assertThat(report.get("providers")).isEqualTo(List.of("probe"));
        assertThat(report.get("mailers")).isEqualTo(List.of("probe-mail"));
        assertThat(origins(report, "transports")).isEqualTo(Map.of("jdk", "builder"));
        assertThat(origins(report, "providers")).isEqualTo(Map.of("probe", "builder"));
        assertThat(origins(report, "mailers")).isEqualTo(Map.of("probe-mail", "builder"));
    }

    @Test
    void anUnknownStorageTypeNamesTheKeyAndWhatIsAvailable() {
        Plugins plugins = new Plugins(getClass().getClassLoader(), NONE);

        assertThatThrownBy(() -> plugins.openStorage(settings(Map.of("apimodels.storage.type", "nope"))))
                .isInstanceOf(ConfigException.class)
                .hasMessage("apimodels.storage.type: no storage of type 'nope' (available: [local])");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> origins(Map<String, Object> report, String kind) {
        return ((Map<String, Map<String, String>>) report.get("origins")).get(kind);
    }

    @Test
    void providersThatNameNoTransportGetTheMostPreferredOnePresent() {
        List<String> created = new java.util.concurrent.CopyOnWriteArrayList<>();
        Plugins plugins = new Plugins(getClass().getClassLoader(), new Plugins.Extras(List.of(),
                List.of(transport("fast", 100, created), transport("also-fast", 100, created), transport("slow", -5, created)),
                List.of(), null, List.of(), List.of(), List.of()));

        assertThat(plugins.defaultTransport()).as("highest preference, first name on a tie").isEqualTo("also-fast");
        assertThat(plugins.report().get("default_transport")).isEqualTo("also-fast");

        ModelProvider echo = new ModelProvider() {
            @Override
            public String type() {
                return "echo";
            }

            @Override
            public ProviderClient create(ProviderConfig config, HttpTransport transport) {
                return null;
            }
        };
        Plugins withEcho = new Plugins(getClass().getClassLoader(), new Plugins.Extras(List.of(echo),
                List.of(transport("fast", 100, created), transport("slow", -5, created)), List.of(), null, List.of(), List.of(), List.of()));
        var registry = new app.apimodels.core.providers.ProviderRegistry(withEcho, new TransportOptions(java.time.Duration.ofSeconds(1), 4));
        ProviderConfig config = new ProviderConfig("p", "echo", java.net.URI.create("http://127.0.0.1:1"), "", java.time.Duration.ofSeconds(5), Map.of());
        registry.create(config, null);
        registry.create(config, "slow");
        assertThat(created).containsExactly("fast", "slow");
        registry.close();
    }

    private static HttpTransportFactory transport(String name, int preference, List<String> created) {
        return new HttpTransportFactory() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public int preference() {
                return preference;
            }

            @Override
            public HttpTransport create(TransportOptions options) {
                created.add(name);
                return new HttpTransport() {
                    @Override
                    public java.util.concurrent.CompletableFuture<app.apimodels.spi.http.HttpResponseData> send(app.apimodels.spi.http.HttpRequestSpec request) {
                        throw new UnsupportedOperationException();
                    }

                    @Override
                    public app.apimodels.spi.http.Cancellable stream(app.apimodels.spi.http.HttpRequestSpec request, app.apimodels.spi.http.HttpBodyHandler handler) {
                        throw new UnsupportedOperationException();
                    }

                    @Override
                    public void close() {
                    }
                };
            }
        };
    }
}
