package app.apimodels.core.media;

import app.apimodels.core.config.Keys;
import app.apimodels.core.config.Settings;

import java.util.Locale;
import java.util.Set;

/**
 * What may be stored: media types by family and the largest file of each. The type is the one
 * sniffed from the bytes, never the one a client declares.
 */
public record MediaLimits(long maxImageBytes, long maxVideoBytes, long maxAudioBytes) {

    /** Types a browser could run as a page or script are refused even though they are "images". */
    private static final Set<String> REFUSED = Set.of("image/svg+xml", "image/x-icon", "image/vnd.microsoft.icon");

    public static MediaLimits from(Settings settings) {
        return new MediaLimits(
                settings.get(Keys.UPLOADS_MAX_IMAGE_BYTES),
                settings.get(Keys.UPLOADS_MAX_VIDEO_BYTES),
                settings.get(Keys.UPLOADS_MAX_AUDIO_BYTES));
    }

    /** The largest file of any family: the cap before the type is known. */
    public long maxBytes() {
        return Math.max(maxImageBytes, Math.max(maxVideoBytes, maxAudioBytes));
    }

    /** The family of a sniffed type ({@code image}, {@code video}, {@code audio}), or null if not accepted. */
    public static String family(String contentType) {
        String type = contentType.toLowerCase(Locale.ROOT);
        if (REFUSED.contains(type)) {
            return null;
        }
        for (String family : new String[] {"image", "video", "audio"}) {
            if (type.startsWith(family + "/")) {
                return family;
            }
        }
        return null;
    }

    /** The size limit for a family; 0 for anything not accepted. */
    public long maxBytes(String family) {
        if (family == null) {
            return 0;
        }
        return switch (family) {
            case "image" -> maxImageBytes;
            case "video" -> maxVideoBytes;
            case "audio" -> maxAudioBytes;
            default -> 0;
        };
    }
}
