package app.apimodels.core.catalog;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A provider instance as written in the catalog. {@code apiKey} and {@code apiKeys} are kept as
 * written (possibly {@code ${ENV_VAR}} references) so secrets from the environment are never stored
 * in the database. {@code apiKeys} is the pool calls are spread over; {@code api-key} alone is a pool
 * of one.
 */
public record ProviderSpec(String id, String type, URI baseUrl, String apiKey, List<String> apiKeys, String transport,
                           long timeoutSeconds, Map<String, String> options) {

    static final Set<String> FIELDS = Set.of("id", "type", "base-url", "api-key", "api-keys", "transport", "timeout-seconds",
            "options");
    /** More keys than this in one pool is a mistake, not a deployment. */
    static final int MAX_KEYS = 100;

    public ProviderSpec {
        apiKeys = List.copyOf(apiKeys);
    }

    /** The keys as written: {@code api-key} first, then {@code api-keys}; one empty key for a provider without any. */
    public List<String> pool() {
        List<String> pool = new ArrayList<>();
        if (!apiKey.isEmpty()) {
            pool.add(apiKey);
        }
        pool.addAll(apiKeys);
        return pool.isEmpty() ? List.of("") : pool;
    }

    static ProviderSpec parse(Tree t) {
        Map<String, Tree> m = t.map(FIELDS);
        String id = Catalogs.id(t, m, "id");
        String type = Catalogs.required(t, m, "type").text();
        Tree urlNode = Catalogs.required(t, m, "base-url");
        URI url;
        try {
            url = URI.create(urlNode.text());
        } catch (IllegalArgumentException e) {
            throw urlNode.error("must be a URL");
        }
        if (!("http".equals(url.getScheme()) || "https".equals(url.getScheme())) || url.getHost() == null) {
            throw urlNode.error("must be an http or https URL");
        }
        String key = m.containsKey("api-key") && !m.get("api-key").isNull() ? m.get("api-key").text() : "";
        List<String> keys = new ArrayList<>();
        if (m.containsKey("api-keys") && !m.get("api-keys").isNull()) {
            List<Tree> listed = m.get("api-keys").list();
            if (listed.size() > MAX_KEYS) {
                throw m.get("api-keys").error("at most " + MAX_KEYS + " keys");
            }
            for (Tree k : listed) {
                String text = k.text();
                if (text.isBlank()) {
                    throw k.error("must not be empty");
                }
                if (text.equals(key) || keys.contains(text)) {
                    throw k.error("is listed twice");
                }
                keys.add(text);
            }
        }
        // Absent: the engine's default transport (the most preferred one present), decided when the client is made.
        String transport = m.containsKey("transport") && !m.get("transport").isNull() ? m.get("transport").text() : null;
        long timeout = m.containsKey("timeout-seconds") ? m.get("timeout-seconds").whole(1, 86_400) : 600;
        Map<String, String> options = new LinkedHashMap<>();
        if (m.containsKey("options") && !m.get("options").isNull()) {
            m.get("options").map().forEach((k, v) -> options.put(k, v.text()));
        }
        return new ProviderSpec(id, type, url, key, keys, transport, timeout, Map.copyOf(options));
    }

    Map<String, Object> toDoc() {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("id", id);
        doc.put("type", type);
        doc.put("base-url", baseUrl.toString());
        if (!apiKey.isEmpty()) { // a provider without a key (a local server) is stored without one, so it reads back
            doc.put("api-key", apiKey);
        }
        if (!apiKeys.isEmpty()) {
            doc.put("api-keys", apiKeys);
        }
        if (transport != null) {
            doc.put("transport", transport);
        }
        doc.put("timeout-seconds", timeoutSeconds);
        if (!options.isEmpty()) {
            doc.put("options", options);
        }
        return doc;
    }

    @Override
    public String toString() {
        return "ProviderSpec[id=" + id + ", type=" + type + ", baseUrl=" + baseUrl + "]";
    }
}
