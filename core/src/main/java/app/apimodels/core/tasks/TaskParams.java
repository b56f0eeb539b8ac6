package app.apimodels.core.tasks;

import app.apimodels.core.catalog.ModelSpec;
import app.apimodels.core.catalog.ParameterSpec;
import app.apimodels.core.failure.Failure;
import app.apimodels.spi.provider.Usage;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A generation request's model parameters checked against what the model declares: unknown names,
 * wrong types, values outside bounds or the enum are refused with a 400 naming the field;
 * defaults are filled in. Also derives the quantity charged (images, seconds, characters).
 *
 * @param input   the parameters to pass to the provider
 * @param urls    the media-URL parameters (name → the URLs given), to be fetched and replaced
 */
record TaskParams(Map<String, Object> input, Map<String, List<String>> urls, Usage quantity) {

    /** Fields of the request that are not model parameters. */
    static final Set<String> RESERVED = Set.of("model", "callback_url", "callBackUrl");
    /** No model parameter is larger; bounds every quantity charged for before it is multiplied by a price. */
    private static final BigDecimal LARGEST = BigDecimal.valueOf(1_000_000_000_000L);

    static TaskParams validate(ModelSpec model, Map<String, Object> body, Set<String> ignored) {
        Map<String, ParameterSpec> specs = model.parameters();
        Map<String, Object> input = new LinkedHashMap<>();
        Map<String, List<String>> urls = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : body.entrySet()) {
            String name = e.getKey();
            if (RESERVED.contains(name) || ignored.contains(name) || e.getValue() == null) {
                continue;
            }
            ParameterSpec spec = specs.get(name);
            if (spec == null) {
                throw Failure.invalid(name, "the model '" + model.id() + "' does not take the parameter '" + name
                        + "' (it takes: " + String.join(", ", new TreeSet<>(specs.keySet())) + ")");
            }
            Object value = check(spec, e.getValue());
            input.put(name, value);
            if (spec.type() == ParameterSpec.Type.URL) {
                urls.put(name, List.of((String) value));
            } else if (spec.type() == ParameterSpec.Type.URLS) {
                @SuppressWarnings("unchecked") List<String> list = (List<String>) value;
                urls.put(name, list);
            }
        }
        for (ParameterSpec spec : specs.values()) {
            if (!input.containsKey(spec.name())) {
                if (spec.required()) {
                    throw Failure.invalid(spec.name(), spec.name() + " is required");
                }
                if (spec.defaultValue() != null) {
                    input.put(spec.name(), normalise(spec, spec.defaultValue()));
                }
            }
        }
        return new TaskParams(input, urls, quantity(specs, input));
    }

    private static Usage quantity(Map<String, ParameterSpec> specs, Map<String, Object> input) {
        long images = 0;
        double seconds = 0;
        long characters = 0;
        for (ParameterSpec spec : specs.values()) {
            Object v = input.get(spec.name());
            if (spec.counts() == null || v == null) {
                continue;
            }
            switch (spec.counts()) {
                case IMAGES -> images = ((Number) v).longValue();
                case SECONDS -> seconds = ((Number) v).doubleValue();
                case CHARACTERS -> characters = ((String) v).codePointCount(0, ((String) v).length());
            }
        }
        // A model priced per image always makes at least one.
        return new Usage(0, 0, 0, Math.max(images, 1), seconds, characters);
    }

    private static Object check(ParameterSpec spec, Object value) {
        String name = spec.name();
        Object v = switch (spec.type()) {
            case STRING -> {
                if (!(value instanceof String s)) {
                    throw Failure.invalid(name, name + " must be a string");
                }
                if (spec.maxLength() != null && s.length() > spec.maxLength()) {
                    throw Failure.invalid(name, name + " may be at most " + spec.maxLength() + " characters");
                }
                yield s;
            }
            case INTEGER, NUMBER -> number(spec, value);
            case BOOLEAN -> {
                if (!(value instanceof Boolean)) {
                    throw Failure.invalid(name, name + " must be true or false");
                }
                yield value;
            }
            case URL -> url(name, value);
            case URLS, STRINGS -> {
                List<?> list = value instanceof List<?> l ? l : value instanceof String ? List.of(value) : null;
                if (list == null) {
                    throw Failure.invalid(name, name + " must be a list of " + (spec.type() == ParameterSpec.Type.URLS ? "URLs" : "strings"));
                }
                if (spec.maxItems() != null && list.size() > spec.maxItems()) {
                    throw Failure.invalid(name, name + " may have at most " + spec.maxItems() + " items");
                }
                List<String> out = new ArrayList<>();
                for (Object item : list) {
                    if (spec.type() == ParameterSpec.Type.URLS) {
                        out.add(url(name, item));
                    } else if (item instanceof String s) {
                        out.add(s);
                    } else {
                        throw Failure.invalid(name, name + " must be a list of strings");
                    }
                }
                yield List.copyOf(out);
            }
        };
        if (!spec.allowed().isEmpty() && spec.allowed().stream().noneMatch(a -> same(a, v))) {
            throw Failure.invalid(name, name + " must be one of " + spec.allowed());
        }
        return v;
    }

    private static Object number(ParameterSpec spec, Object value) {
        String name = spec.name();
        BigDecimal d;
        if (value instanceof Number n) {
            d = new BigDecimal(n.toString());
        } else {
            throw Failure.invalid(name, name + " must be a number");
        }
        if (d.abs().compareTo(LARGEST) > 0) {
            throw Failure.invalid(name, name + " is out of range");
        }
        if (spec.type() == ParameterSpec.Type.INTEGER && d.stripTrailingZeros().scale() > 0) {
            throw Failure.invalid(name, name + " must be a whole number");
        }
        if ((spec.min() != null && d.compareTo(spec.min()) < 0) || (spec.max() != null && d.compareTo(spec.max()) > 0)) {
            throw Failure.invalid(name, name + " must be between " + (spec.min() == null ? "-∞" : spec.min().toPlainString())
                    + " and " + (spec.max() == null ? "∞" : spec.max().toPlainString()));
        }
        return normalise(spec, d);
    }

    private static Object normalise(ParameterSpec spec, Object value) {
        if (value instanceof Number n && (spec.type() == ParameterSpec.Type.INTEGER || spec.type() == ParameterSpec.Type.NUMBER)) {
            BigDecimal d = new BigDecimal(n.toString());
            return spec.type() == ParameterSpec.Type.INTEGER ? (Object) d.longValue() : (Object) d.doubleValue();
        }
        return value;
    }

    private static String url(String name, Object value) {
        if (!(value instanceof String s) || s.isBlank() || s.length() > 4096) {
            throw Failure.invalid(name, name + " must be a URL (or an uploaded file's id)");
        }
        return s.trim();
    }

    private static boolean same(Object allowed, Object value) {
        if (allowed instanceof Number a && value instanceof Number b) {
            return new BigDecimal(a.toString()).compareTo(new BigDecimal(b.toString())) == 0;
        }
        return allowed.equals(value);
    }
}
