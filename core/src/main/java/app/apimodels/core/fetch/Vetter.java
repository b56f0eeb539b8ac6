package app.apimodels.core.fetch;

import org.apache.hc.client5.http.DnsResolver;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * The only source of addresses for the fetcher's sockets. The HTTP client asks it for the addresses of
 * a host:port right before it opens a connection; it looks the name up once, refuses the whole answer
 * if any address is not public (a mixed answer is how DNS rebinding hides a private address behind a
 * public one, and which address the client tries first is not ours to decide), and hands the client
 * exactly the addresses it checked. There is no second lookup between check and connect for a
 * rebinding DNS server to answer differently.
 */
final class Vetter implements DnsResolver {

    /** Name to addresses; {@link InetAddress#getAllByName} in production, a fake in tests. */
    @FunctionalInterface
    interface NameResolver {
        InetAddress[] lookup(String host) throws UnknownHostException;
    }

    /** Carries a refusal through the HTTP client, which only lets {@link java.io.IOException}s out of a resolver. */
    static final class Refused extends UnknownHostException {
        private static final long serialVersionUID = 1L;
        final FetchException failure;

        Refused(FetchException failure) {
            super(failure.getMessage());
            this.failure = failure;
        }
    }

    private final Set<String> allowedPrivateHosts;
    private final NameResolver names;

    Vetter(Set<String> allowedPrivateHosts, NameResolver names) {
        this.allowedPrivateHosts = allowedPrivateHosts;
        this.names = names;
    }

    /** The addresses a canonical host may be reached at on {@code port}, after checking every one. */
    InetAddress[] vet(String host, int port) throws FetchException {
        if (Hosts.isMetadataName(host)) {
            throw FetchException.blocked(host);
        }
        InetAddress literal;
        try {
            literal = Hosts.literal(host);
        } catch (IllegalArgumentException e) {
            throw FetchException.badUrl(e.getMessage());
        }
        InetAddress[] found;
        try {
            found = literal != null ? new InetAddress[] {literal} : names.lookup(host);
        } catch (UnknownHostException e) {
            throw FetchException.unresolvable(host, e);
        }
        if (found == null || found.length == 0) {
            throw FetchException.unresolvable(host, null);
        }
        boolean privateAllowed = allowedPrivateHosts.contains(Hosts.key(host, port));
        for (InetAddress address : found) {
            if (Addresses.isCloudMetadata(address) || !(privateAllowed || Addresses.isPublic(address))) {
                throw FetchException.blocked(host);
            }
        }
        return found;
    }

    @Override
    public List<InetSocketAddress> resolve(String host, int port) throws UnknownHostException {
        try {
            return Arrays.stream(vet(host, port)).map(a -> new InetSocketAddress(a, port)).toList();
        } catch (FetchException e) {
            throw new Refused(e);
        }
    }

    /** Without a port no allow-list entry can match, so only public addresses come back. */
    @Override
    public InetAddress[] resolve(String host) throws UnknownHostException {
        try {
            return vet(host, 0);
        } catch (FetchException e) {
            throw new Refused(e);
        }
    }

    /** No reverse lookups: the name the URL gave is the name TLS checks. */
    @Override
    public String resolveCanonicalHostname(String host) {
        return host;
    }
}
