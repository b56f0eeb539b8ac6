package app.apimodels.storage.s3;

import app.apimodels.spi.storage.StorageConfig;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The {@code apimodels.storage.*} settings of an S3-compatible storage, checked. Every error names
 * the full configuration key; none repeats a credential.
 */
record S3Settings(
        String bucket,
        String region,
        Optional<URI> endpoint,
        boolean pathStyle,
        Optional<String> accessKeyId,
        Optional<String> secretAccessKey,
        String prefix,
        Optional<String> publicBaseUrl,
        int multipartThreshold,
        int partSize,
        Duration connectTimeout,
        Duration socketTimeout,
        int maxConnections) {

    static final int MIB = 1024 * 1024;
    /** S3's smallest part but the last. */
    static final int MIN_PART_SIZE = 5 * MIB;
    /** Parts and small objects are held in memory while they are sent, so they stay modest. */
    static final int MAX_BUFFER = 512 * MIB;

    private static final Pattern BUCKET = Pattern.compile("[A-Za-z0-9._-]{3,255}");
    private static final Pattern REGION = Pattern.compile("[a-z0-9-]+");
    private static final Pattern PREFIX = Pattern.compile("([A-Za-z0-9._-]+/)*");

    static S3Settings from(StorageConfig config) {
        String bucket = config.require("bucket");
        if (!BUCKET.matcher(bucket).matches()) {
            throw invalid("bucket", "is not a bucket name");
        }
        String region = config.option("region").orElse("us-east-1").trim();
        if (!REGION.matcher(region).matches()) {
            throw invalid("region", "must be a region name such as us-east-1, or auto for R2");
        }
        Optional<String> accessKeyId = config.option("access-key-id");
        Optional<String> secret = config.option("secret-access-key");
        if (accessKeyId.isPresent() && secret.isEmpty()) {
            throw new IllegalArgumentException(key("secret-access-key") + " is required with " + key("access-key-id"));
        }
        if (secret.isPresent() && accessKeyId.isEmpty()) {
            throw new IllegalArgumentException(key("access-key-id") + " is required with " + key("secret-access-key"));
        }
        return new S3Settings(
                bucket,
                region,
                config.option("endpoint").map(value -> httpUrl("endpoint", value)),
                bool(config, "path-style", false),
                accessKeyId,
                secret,
                prefix(config.option("prefix").orElse("")),
                config.option("public-base-url").map(value -> httpUrl("public-base-url", value).toString())
                        .map(url -> url.endsWith("/") ? url : url + "/"),
                number(config, "multipart-threshold-bytes", 8 * MIB, 0, MAX_BUFFER),
                number(config, "part-size-bytes", 8 * MIB, MIN_PART_SIZE, MAX_BUFFER),
                Duration.ofMillis(number(config, "connect-timeout-ms", 5_000, 1, Integer.MAX_VALUE)),
                Duration.ofMillis(number(config, "socket-timeout-ms", 30_000, 1, Integer.MAX_VALUE)),
                number(config, "max-connections", 50, 1, 10_000));
    }

    private static String prefix(String value) {
        String trimmed = value.trim();
        while (trimmed.startsWith("/")) {
            trimmed = trimmed.substring(1);
        }
        String prefix = trimmed.isEmpty() || trimmed.endsWith("/") ? trimmed : trimmed + "/";
        if (!PREFIX.matcher(prefix).matches() || prefix.matches("(.*/)?\\.\\.?/.*")) {
            throw invalid("prefix", "may contain only segments of A-Z a-z 0-9 . _ - separated by single slashes");
        }
        return prefix;
    }

    private static URI httpUrl(String name, String value) {
        try {
            URI uri = new URI(value.trim());
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if ((scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null && uri.getQuery() == null) {
                return uri;
            }
        } catch (URISyntaxException e) {
            // reported below
        }
        throw invalid(name, "must be an http or https URL without a query");
    }

    private static boolean bool(StorageConfig config, String name, boolean fallback) {
        Optional<String> value = config.option(name).map(v -> v.trim().toLowerCase(Locale.ROOT));
        if (value.isEmpty()) {
            return fallback;
        }
        return switch (value.get()) {
            case "true" -> true;
            case "false" -> false;
            default -> throw invalid(name, "must be true or false");
        };
    }

    private static int number(StorageConfig config, String name, int fallback, int min, int max) {
        Optional<String> value = config.option(name);
        if (value.isEmpty()) {
            return fallback;
        }
        try {
            long number = Long.parseLong(value.get().trim());
            if (number >= min && number <= max) {
                return (int) number;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw invalid(name, "must be a whole number from " + min + " to " + max);
    }

    private static IllegalArgumentException invalid(String name, String problem) {
        return new IllegalArgumentException(key(name) + " " + problem);
    }

    private static String key(String name) {
        return "apimodels.storage." + name;
    }

    @Override
    public String toString() {
        return "S3Settings[bucket=" + bucket + ", region=" + region + ", endpoint=" + endpoint.orElse(null)
                + ", pathStyle=" + pathStyle + ", staticCredentials=" + accessKeyId.isPresent() + ", prefix=" + prefix
                + ", publicBaseUrl=" + publicBaseUrl.orElse(null) + "]";
    }
}
