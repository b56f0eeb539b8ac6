package app.apimodels.provider.fal;

import app.apimodels.spi.provider.ProviderException;

import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A request in fal's queue: the app it runs in ({@code owner/app}) and its request id. Its
 * {@link #upstreamId()} is also the path of the request under the queue root.
 */
record QueueRequest(String app, String requestId) {

    /** The webhook URL's query parameter naming the app, as fal's webhook body does not. */
    static final String APP_PARAMETER = "fal_app";

    private static final String SEGMENT = "[A-Za-z0-9][A-Za-z0-9._-]*";
    private static final Pattern MODEL = Pattern.compile("(" + SEGMENT + "/" + SEGMENT + ")(/" + SEGMENT + ")*");
    private static final Pattern APP = Pattern.compile(SEGMENT + "/" + SEGMENT);
    private static final Pattern REQUEST_ID = Pattern.compile(SEGMENT);
    private static final Pattern UPSTREAM_ID = Pattern.compile("(" + SEGMENT + "/" + SEGMENT + ")/requests/(" + SEGMENT + ")");

    QueueRequest {
        if (!APP.matcher(app).matches() || !REQUEST_ID.matcher(requestId).matches()) {
            throw new IllegalArgumentException("not a fal app and request id");
        }
    }

    String upstreamId() {
        return app + "/requests/" + requestId;
    }

    /**
     * The app of a model id: requests are submitted to the model's full path ({@code fal-ai/flux/dev})
     * but read under the app ({@code fal-ai/flux}), per fal's queue documentation.
     */
    static String appOf(String model) {
        Matcher matcher = MODEL.matcher(model == null ? "" : model);
        if (!matcher.matches()) {
            throw new ProviderException(ProviderException.Kind.UPSTREAM_CONFIG, 0, "the route's upstream model '" + model
                    + "' is not a fal model id (owner/app, optionally followed by an endpoint path)", null, null);
        }
        return matcher.group(1);
    }

    /** Reads an id {@link #upstreamId()} made. */
    static QueueRequest parse(String upstreamId) {
        Matcher matcher = UPSTREAM_ID.matcher(upstreamId == null ? "" : upstreamId);
        if (!matcher.matches()) {
            throw new ProviderException(ProviderException.Kind.UPSTREAM_CONFIG, 0,
                    "not a fal upstream id (owner/app/requests/<request id>)", null, null);
        }
        return new QueueRequest(matcher.group(1), matcher.group(2));
    }

    /** The request a webhook is about, from its body's request id and the app in the URL it was posted to; null if either is unusable. */
    static QueueRequest ofWebhook(URI url, String requestId) {
        String query = url == null ? null : url.getRawQuery();
        if (query == null || requestId == null) {
            return null;
        }
        for (String parameter : query.split("&")) {
            if (parameter.startsWith(APP_PARAMETER + "=")) {
                try {
                    return new QueueRequest(URLDecoder.decode(parameter.substring(APP_PARAMETER.length() + 1), StandardCharsets.UTF_8), requestId);
                } catch (IllegalArgumentException e) {
                    return null;
                }
            }
        }
        return null;
    }

    /** The engine's webhook URL with the app added, so the webhook can be tied back to this request. */
    static URI webhookUrl(URI engineUrl, String app) {
        String url = engineUrl.toString();
        String fragment = "";
        int hash = url.indexOf('#');
        if (hash >= 0) {
            fragment = url.substring(hash);
            url = url.substring(0, hash);
        }
        String separator = engineUrl.getRawQuery() == null ? "?" : "&";
        return URI.create(url + separator + APP_PARAMETER + "=" + URLEncoder.encode(app, StandardCharsets.UTF_8) + fragment);
    }
}
