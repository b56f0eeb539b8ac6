package app.apimodels.core.fetch;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** Answers name lookups from a script: each call of {@link #answer} queues one answer, the last one repeats. */
final class FakeDns implements Vetter.NameResolver {

    private final Map<String, Deque<InetAddress[]>> answers = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> lookups = new ConcurrentHashMap<>();

    FakeDns answer(String host, String... literals) {
        InetAddress[] addresses = new InetAddress[literals.length];
        for (int i = 0; i < literals.length; i++) {
            try {
                addresses[i] = InetAddress.getByName(literals[i]);
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("not a literal: " + literals[i], e);
            }
        }
        return answer(host, addresses);
    }

    FakeDns answer(String host, InetAddress... addresses) {
        answers.computeIfAbsent(host, h -> new ArrayDeque<>()).add(addresses);
        return this;
    }

    int lookups(String host) {
        AtomicInteger count = lookups.get(host);
        return count == null ? 0 : count.get();
    }

    @Override
    public synchronized InetAddress[] lookup(String host) throws UnknownHostException {
        lookups.computeIfAbsent(host, h -> new AtomicInteger()).incrementAndGet();
        Deque<InetAddress[]> queue = answers.get(host);
        if (queue == null) {
            throw new UnknownHostException(host);
        }
        return queue.size() > 1 ? queue.poll() : queue.peek();
    }
}
