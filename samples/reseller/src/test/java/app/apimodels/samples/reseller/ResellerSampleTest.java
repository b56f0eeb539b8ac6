package app.apimodels.samples.reseller;

import app.apimodels.core.catalog.CatalogDocument;
import app.apimodels.core.catalog.ModelKind;
import app.apimodels.core.catalog.ModelSpec;
import app.apimodels.core.catalog.ProviderSpec;
import app.apimodels.spi.provider.ModelProvider;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keeps the reseller sample true to the engine it ships with: the catalog parses with the engine's
 * own parser and names provider types that exist, every model carries a markup, every secret the
 * catalog reads is in the settings file, and every setting there is one the engine documents (or
 * one of the two the README announces for the mail feature).
 */
class ResellerSampleTest {

    private static final Path CATALOG = Path.of("catalog.yaml");
    private static final Path SETTINGS = Path.of("reseller.env");
    /** Settings named in the README as read by a later release's mail feature. */
    private static final Set<String> ANNOUNCED = Set.of("apimodels.brand.name", "apimodels.mail.from");

    @Test
    void theCatalogParsesWithTheEnginesParser() throws IOException {
        CatalogDocument catalog = catalog();

        assertThat(catalog.providers()).extracting(ProviderSpec::type).containsExactlyInAnyOrder("openai", "replicate", "fal");
        assertThat(catalog.models()).extracting(ModelSpec::kind)
                .contains(ModelKind.CHAT, ModelKind.EMBEDDING, ModelKind.IMAGE, ModelKind.VIDEO);
    }

    @Test
    void everyProviderTypeIsOneTheEngineFinds() throws IOException {
        Set<String> types = ServiceLoader.load(ModelProvider.class).stream().map(p -> p.get().type()).collect(Collectors.toSet());

        assertThat(catalog().providers()).extracting(ProviderSpec::type).allMatch(types::contains);
    }

    @Test
    void everyModelIsSoldAtAMarkupOverUpstreamCost() throws IOException {
        assertThat(catalog().models()).allSatisfy(model ->
                assertThat(model.markupBasisPoints()).as("markup of %s", model.id()).isNotNull().isPositive());
    }

    @Test
    void everySecretTheCatalogReadsIsInTheSettings() throws IOException {
        Matcher references = Pattern.compile("\\$\\{([A-Z0-9_]+)(:[^}]*)?}").matcher(Files.readString(CATALOG));
        Set<String> referenced = new HashSet<>();
        while (references.find()) {
            referenced.add(references.group(1));
        }

        assertThat(referenced).isNotEmpty();
        assertThat(settings().keySet()).containsAll(referenced);
    }

    @Test
    void everyEngineSettingIsOneTheEngineDocuments() throws IOException {
        Set<String> known = new HashSet<>();
        documentedKeys().forEach(key -> known.add(environmentName(key)));
        ANNOUNCED.forEach(key -> known.add(environmentName(key)));

        assertThat(settings().keySet().stream().filter(name -> name.startsWith("APIMODELS_")))
                .isNotEmpty()
                .allSatisfy(name -> assertThat(known).as("documented settings").contains(name));
        assertThat(settings()).containsKeys("APIMODELS_DB_URL", "APIMODELS_STORAGE_TYPE", "APIMODELS_PUBLIC_URL",
                "APIMODELS_BRAND_NAME", "APIMODELS_MAIL_FROM");
        assertThat(settings().get("APIMODELS_STORAGE_TYPE")).isEqualTo("s3");
        assertThat(settings().get("APIMODELS_DB_URL")).startsWith("jdbc:postgresql:");
    }

    private static CatalogDocument catalog() throws IOException {
        return CatalogDocument.parseYaml(Files.readString(CATALOG), CATALOG.toString());
    }

    /** {@code NAME=value} lines, quotes removed as a shell would. */
    private static Map<String, String> settings() throws IOException {
        Map<String, String> settings = new LinkedHashMap<>();
        for (String line : Files.readAllLines(SETTINGS)) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int equals = line.indexOf('=');
            assertThat(equals).as("a NAME=value line: %s", line).isPositive();
            String value = line.substring(equals + 1);
            settings.put(line.substring(0, equals), value.startsWith("\"") && value.endsWith("\"")
                    ? value.substring(1, value.length() - 1) : value);
        }
        return settings;
    }

    /**
     * The settings the project documents: every {@code apimodels.*} key in the main README
     * (with its shorthand siblings such as {@code `apimodels.db.url` / `.user`}) and the storage
     * settings in the S3 module's README table.
     */
    private static Set<String> documentedKeys() throws IOException {
        Set<String> keys = new HashSet<>();
        Pattern code = Pattern.compile("`([^`]+)`");
        for (String line : Files.readAllLines(Path.of("../../README.md"))) {
            String last = null;
            Matcher m = code.matcher(line);
            while (m.find()) {
                String token = m.group(1);
                if (token.matches("apimodels\\.[a-z0-9.-]+")) {
                    keys.add(token);
                    last = token;
                } else if (last != null && token.matches("\\.[a-z0-9-]+")) {
                    keys.add(last.substring(0, last.lastIndexOf('.')) + token);
                }
            }
        }
        for (String line : Files.readAllLines(Path.of("../../integrations/s3/README.md"))) {
            if (line.startsWith("| `")) {
                Matcher m = code.matcher(line.substring(0, line.indexOf('|', 1)));
                while (m.find()) {
                    keys.add("apimodels.storage." + m.group(1));
                }
            }
        }
        return keys;
    }

    /** MicroProfile Config's environment form: upper case, anything but letters and digits as {@code _}. */
    private static String environmentName(String key) {
        return key.replaceAll("[^A-Za-z0-9]", "_").toUpperCase(Locale.ROOT);
    }
}
