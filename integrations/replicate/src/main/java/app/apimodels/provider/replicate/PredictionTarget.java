package app.apimodels.provider.replicate;

import app.apimodels.spi.provider.ProviderException;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a prediction for a catalog's upstream model is created, and the version to name in the
 * body (null when the path names the model).
 */
record PredictionTarget(String path, String version) {

    private static final String NAME = "[A-Za-z0-9][A-Za-z0-9._-]*";
    private static final Pattern VERSION = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern MODEL = Pattern.compile("(" + NAME + ")/(" + NAME + ")(?::([0-9a-f]{64}))?");
    private static final String DEPLOYMENT = "deployment:";

    static PredictionTarget of(String upstreamModel) {
        String notation = upstreamModel == null ? "" : upstreamModel.strip();
        if (VERSION.matcher(notation).matches()) {
            return new PredictionTarget("/predictions", notation);
        }
        boolean deployment = notation.startsWith(DEPLOYMENT);
        Matcher model = MODEL.matcher(deployment ? notation.substring(DEPLOYMENT.length()) : notation);
        if (!model.matches() || (deployment && model.group(3) != null)) {
            throw new ProviderException(ProviderException.Kind.UPSTREAM_CONFIG, 0,
                    "the route's upstream model '" + notation + "' is not a Replicate model (owner/name,"
                            + " owner/name:<version>, a version id or deployment:owner/name)", null, null);
        }
        if (model.group(3) != null) {
            return new PredictionTarget("/predictions", model.group(3));
        }
        String kind = deployment ? "/deployments/" : "/models/";
        return new PredictionTarget(kind + model.group(1) + "/" + model.group(2) + "/predictions", null);
    }
}
