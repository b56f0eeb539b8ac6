package app.apimodels.provider.openai;

import app.apimodels.spi.provider.ProviderException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class ImageSizesTest {

    @ParameterizedTest(name = "{0} at {1} is {2}")
    @CsvSource({
            "gpt-image-1, 1:1, 1024x1024", "gpt-image-1, 16:9, 1536x1024", "gpt-image-1, 9:16, 1024x1536",
            "gpt-image-1, 3:2, 1536x1024", "gpt-image-1, 2:3, 1024x1536", "gpt-image-1, 4:3, 1536x1024",
            "gpt-image-1, 3:4, 1024x1536", "gpt-image-1, 5:4, 1536x1024", "gpt-image-1, 4:5, 1024x1536",
            "gpt-image-1, 6:5, 1024x1024", "gpt-image-1, 21:9, 1536x1024", "gpt-image-1, 2.39:1, 1536x1024",
            "gpt-image-1-mini, 16:9, 1536x1024", "some-compatible-model, 9:16, 1024x1536",
            "dall-e-3, 1:1, 1024x1024", "dall-e-3, 16:9, 1792x1024", "dall-e-3, 9:16, 1024x1792",
            "dall-e-3, 3:2, 1792x1024", "dall-e-3, 2:3, 1024x1792", "dall-e-3, 4:3, 1792x1024",
            "dall-e-3, 5:4, 1024x1024", "DALL-E-3, 16:9, 1792x1024",
            "dall-e-2, 16:9, 1024x1024", "dall-e-2, 9:16, 1024x1024"})
    void nearestSizeOfTheModel(String model, String aspectRatio, String size) {
        assertThat(ImageSizes.forAspectRatio(model, aspectRatio)).isEqualTo(size);
    }

    @Test
    void autoLeavesTheSizeToTheModel() {
        assertThat(ImageSizes.forAspectRatio("gpt-image-1", " Auto ")).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "16x9", "16:", ":9", "0:1", "1:0", "-16:9", "a:b", "NaN:1", "Infinity:1", "16:9:1"})
    void anythingElseIsTheClientsMistake(String aspectRatio) {
        ProviderException failure = catchThrowableOfType(ProviderException.class,
                () -> ImageSizes.forAspectRatio("gpt-image-1", aspectRatio));

        assertThat(failure.kind()).isEqualTo(ProviderException.Kind.INVALID_REQUEST);
        assertThat(failure.param()).isEqualTo("aspect_ratio");
    }
}
