package app.apimodels.bench;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * {@code --name value} and {@code --flag} command-line options, shared by the mock and the load
 * generator. Unknown names fail fast so a typo never silently benchmarks the wrong thing.
 */
final class Options {
    private final Map<String, String> values = new HashMap<>();

    /**
     * @param valued names that take a value
     * @param flags  names that stand alone
     */
    Options(String[] args, Set<String> valued, Set<String> flags) {
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String name = arg.startsWith("--") ? arg.substring(2) : "";
            if (flags.contains(name)) {
                values.put(name, "true");
            } else if (valued.contains(name) && i + 1 < args.length) {
                values.put(name, args[++i]);
            } else {
                throw new IllegalArgumentException("unknown option or missing value: " + arg
                        + " (options: " + valued + ", flags: " + flags + ")");
            }
        }
    }

    String string(String name, String fallback) {
        return values.getOrDefault(name, fallback);
    }

    int integer(String name, int fallback) {
        String v = values.get(name);
        return v == null ? fallback : Integer.parseInt(v);
    }

    boolean flag(String name) {
        return values.containsKey(name);
    }
}
