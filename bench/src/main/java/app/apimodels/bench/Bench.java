package app.apimodels.bench;

import java.util.Arrays;

/** Entry point of the one bench jar: {@code mock ...}, {@code load ...}, {@code slow ...}, {@code relay ...} or {@code jmh [JMH options]}. */
public final class Bench {
    private Bench() {
    }

    public static void main(String[] args) throws Exception {
        // Jetty logs through SLF4J; with no provider on purpose, its start-up notice is only noise.
        if (System.getProperty("slf4j.internal.verbosity") == null) {
            System.setProperty("slf4j.internal.verbosity", "ERROR");
        }
        String[] rest = args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length);
        String command = args.length == 0 ? "" : args[0];
        try {
            switch (command) {
                case "mock" -> MockUpstream.main(rest);
                case "load" -> LoadGen.main(rest);
                case "slow" -> SlowClients.main(rest);
                case "relay" -> Relay.main(rest);
                case "jmh" -> org.openjdk.jmh.Main.main(rest);
                default -> {
                    System.err.println("usage: java -jar apimodels-bench.jar mock|load|slow|relay|jmh [options ...]");
                    System.exit(2);
                }
            }
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
        }
    }
}
