package app.apimodels.core.redemption;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The text of codes: drawn from the whole alphabet, read back however people type them, hashed under a key. */
class CodesTest {

    @Test
    void codesAreTwentySymbolsInGroupsOfFourFromTheWholeAlphabet() {
        Set<Character> seen = new HashSet<>();
        Set<String> codes = new HashSet<>();
        for (int i = 0; i < 2_000; i++) {
            String code = Codes.generate();
            assertThat(code).matches("[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){4}");
            code.replace("-", "").chars().forEach(c -> seen.add((char) c));
            codes.add(code);
        }
        assertThat(codes).hasSize(2_000);
        assertThat(seen).hasSize(Codes.ALPHABET.length()); // 32 symbols × 20 = 100 bits
    }

    @Test
    void aCodeIsReadHoweverItIsTyped() {
        String code = "0123-4567-89AB-CDEF-GHJK";
        assertThat(Codes.normalise(code)).isEqualTo("0123456789ABCDEFGHJK");
        assertThat(Codes.normalise(" o1l3 4567 89ab cdef ghjk ")).isEqualTo("0113456789ABCDEFGHJK");
        assertThat(Codes.normalise("oI23456789abcdefghjk")).isEqualTo("0123456789ABCDEFGHJK");
    }

    @Test
    void whatCannotBeACodeIsNoCode() {
        assertThat(Codes.normalise("0123-4567-89AB-CDEF-GHJ")).isNull(); // too short
        assertThat(Codes.normalise("0123-4567-89AB-CDEF-GHJKM")).isNull(); // too long
        assertThat(Codes.normalise("0123-4567-89AB-CDEF-GHJU")).isNull(); // U is not a symbol
        assertThat(Codes.normalise("0123_4567_89AB_CDEF_GHJK")).isNull();
        assertThat(Codes.normalise("")).isNull();
    }

    @Test
    void theHashDependsOnTheKeyAndHidesTheCode() {
        String code = Codes.normalise(Codes.generate());
        String hash = new Codes(new byte[32]).hash(code);
        assertThat(hash).matches("[0-9a-f]{64}").doesNotContain(code.toLowerCase());
        assertThat(new Codes(new byte[32]).hash(code)).isEqualTo(hash);
        byte[] other = new byte[32];
        other[0] = 1;
        assertThat(new Codes(other).hash(code)).isNotEqualTo(hash);
    }
}
