package app.apimodels.provider.openai;

import app.apimodels.spi.provider.ProviderException;

import java.util.List;
import java.util.Locale;

/**
 * Translates an apimodels.app {@code aspect_ratio} ("16:9") into the OpenAI {@code size} whose
 * shape is nearest, since OpenAI's models take a few fixed sizes only. Nearest means the smallest
 * difference of the logarithms of width/height, so a ratio and its portrait twin map
 * symmetrically:
 *
 * <pre>
 * aspect_ratio                 GPT image models   dall-e-3     dall-e-2
 * 1:1, 6:5, 5:6                1024x1024          1024x1024    1024x1024
 * 5:4                          1536x1024          1024x1024    1024x1024
 * 4:3, 3:2, 16:9, 21:9         1536x1024          1792x1024    1024x1024
 * 4:5                          1024x1536          1024x1024    1024x1024
 * 3:4, 2:3, 9:16, 9:21         1024x1536          1024x1792    1024x1024
 * auto                         (no size: the model's default)
 * </pre>
 *
 * Models are told apart by the upstream name: {@code dall-e-3…} and {@code dall-e-2…}; anything
 * else (gpt-image-1, gpt-image-1-mini, other OpenAI-compatible servers) gets the GPT image sizes.
 */
final class ImageSizes {

    private static final List<String> GPT_IMAGE = List.of("1024x1024", "1536x1024", "1024x1536");
    private static final List<String> DALL_E_3 = List.of("1024x1024", "1792x1024", "1024x1792");
    private static final List<String> DALL_E_2 = List.of("1024x1024");

    private ImageSizes() {
    }

    /**
     * The size for {@code aspectRatio} ("W:H", numbers may have decimals), or null for
     * {@code auto}.
     *
     * @throws ProviderException INVALID_REQUEST if it is not a ratio
     */
    static String forAspectRatio(String upstreamModel, String aspectRatio) {
        String ratio = aspectRatio.strip();
        if (ratio.equalsIgnoreCase("auto")) {
            return null;
        }
        double wanted = Math.log(parse(ratio));
        String nearest = null;
        double nearestDistance = Double.MAX_VALUE;
        for (String size : sizes(upstreamModel)) {
            int x = size.indexOf('x');
            double shape = Double.parseDouble(size.substring(0, x)) / Double.parseDouble(size.substring(x + 1));
            double distance = Math.abs(Math.log(shape) - wanted);
            if (distance < nearestDistance) {
                nearest = size;
                nearestDistance = distance;
            }
        }
        return nearest;
    }

    private static List<String> sizes(String upstreamModel) {
        String model = upstreamModel.toLowerCase(Locale.ROOT);
        if (model.startsWith("dall-e-3")) {
            return DALL_E_3;
        }
        return model.startsWith("dall-e-2") ? DALL_E_2 : GPT_IMAGE;
    }

    /** Width over height. */
    private static double parse(String ratio) {
        int colon = ratio.indexOf(':');
        if (colon > 0) {
            try {
                double width = Double.parseDouble(ratio.substring(0, colon).strip());
                double height = Double.parseDouble(ratio.substring(colon + 1).strip());
                if (width > 0 && height > 0 && Double.isFinite(width) && Double.isFinite(height)) {
                    return width / height;
                }
            } catch (NumberFormatException e) {
                // falls through to the rejection below
            }
        }
        throw new ProviderException(ProviderException.Kind.INVALID_REQUEST, 0,
                "aspect_ratio must look like 16:9 or be auto", "aspect_ratio", null);
    }
}
