package app.apimodels.core.config;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's configuration table and {@link Keys} say the same: every defined key has a row with
 * the same default, every row is a defined key. Adding a key means one constant and one row.
 */
class ReadmeConfigurationTest {

    private static final Path README = Path.of("..", "README.md");

    /** Key → default cell of every row of the table under "## Configuration", one key per row. */
    static Map<String, String> documented(List<String> lines) {
        Map<String, String> rows = new LinkedHashMap<>();
        boolean inSection = false;
        for (String line : lines) {
            if (line.startsWith("#")) {
                inSection = line.equals("## Configuration");
                continue;
            }
            if (!inSection || !line.startsWith("| `")) {
                continue;
            }
            String[] cells = line.split("(?<!\\\\)\\|", -1);
            assertThat(cells).as("a row of three cells: %s", line).hasSize(5);
            String keyCell = cells[1].strip();
            assertThat(keyCell).as("one key per row, in back-quotes: %s", line).matches("`apimodels\\.[a-z0-9.-]+`");
            String key = keyCell.substring(1, keyCell.length() - 1);
            assertThat(rows).as("%s documented twice", key).doesNotContainKey(key);
            rows.put(key, cells[2].strip());
        }
        return rows;
    }

    @Test
    void everyDefinedKeyIsDocumentedWithItsDefaultAndEveryDocumentedKeyIsDefined() throws IOException {
        Map<String, String> documented = documented(Files.readAllLines(README, StandardCharsets.UTF_8));
        Map<String, Setting<?>> defined = Keys.all().stream().collect(Collectors.toMap(Setting::key, Function.identity()));

        assertThat(documented).as("the README's configuration table").isNotEmpty();
        assertThat(documented.keySet()).as("keys in the README but not defined in Keys")
                .isSubsetOf(defined.keySet());
        assertThat(defined.keySet()).as("keys defined in Keys but missing from the README")
                .isSubsetOf(documented.keySet());
        defined.forEach((key, setting) -> assertThat(documented.get(key))
                .as("README default of %s", key).startsWith(setting.documentedDefault()));
    }

    @Test
    void everyKeyIsDefinedOnceWithAMeaning() {
        List<Setting<?>> all = Keys.all();

        assertThat(all).extracting(Setting::key).doesNotHaveDuplicates().allMatch(k -> k.matches("apimodels\\.[a-z0-9.-]+"));
        assertThat(all).allSatisfy(s -> assertThat(s.meaning()).as("meaning of %s", s.key()).isNotBlank());
    }

    @Test
    void theCheckNoticesADriftedDefaultAMissingRowAndAnUndefinedRow() {
        Map<String, String> rows = documented(List.of(
                "## Configuration", "| key | default | meaning |", "|---|---|---|",
                "| `apimodels.ledger.sweep-seconds` | `60` | how often expired holds are looked for |",
                "| `apimodels.no-such-key` | `1` | not defined |",
                "## Next"));

        assertThat(rows.get("apimodels.ledger.sweep-seconds")).doesNotStartWith(Keys.LEDGER_SWEEP.documentedDefault());
        assertThat(rows).doesNotContainKey(Keys.MEDIA_REDIRECT.key());
        assertThat(Keys.all()).extracting(Setting::key).doesNotContain("apimodels.no-such-key");
    }
}
