package app.apimodels.core.fetch;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.Inet6Address;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** {@link SafeFetcher#check}: the same vetting a fetch does, without connecting anywhere. */
class UrlVettingTest {

    private static final String PUBLIC_V4 = "93.184.216.34";
    private static final String PUBLIC_V6 = "2606:4700:4700::1111";

    private final FakeDns dns = new FakeDns();
    private final List<SafeFetcher> fetchers = new ArrayList<>();

    @AfterEach
    void closeFetchers() {
        fetchers.forEach(SafeFetcher::close);
    }

    private SafeFetcher fetcher(String... allowed) {
        SafeFetcher fetcher = new SafeFetcher(
                new FetchPolicy(Set.of(allowed), Duration.ofSeconds(2), Duration.ofSeconds(5), 5, "test"), dns);
        fetchers.add(fetcher);
        return fetcher;
    }

    private FetchException refusal(SafeFetcher fetcher, String url) {
        FetchException e = catchThrowableOfType(() -> fetcher.check(URI.create(url)), FetchException.class);
        assertThat(e).as("refusal of %s", url).isNotNull();
        return e;
    }

    @ParameterizedTest
    @ValueSource(strings = {"file:///etc/passwd", "ftp://example.com/x", "gopher://example.com:70/_x", "jar:file:/a.jar!/b",
            "data:text/plain,hi", "javascript:alert(1)", "ldap://example.com/", "dict://example.com:11211/", "ws://example.com/",
            "FILE:///etc/passwd"})
    void refusesOtherSchemes(String url) {
        assertThat(refusal(fetcher(), url).reason()).isEqualTo(FetchException.BAD_SCHEME);
    }

    @ParameterizedTest
    @ValueSource(strings = {"//example.com/x", "/relative", "http:///x", "http:example.com", "http://user@example.com/",
            "http://user:secret@example.com/", "https://example.com:99999/", "http://example.com:0/", "http://example.com:x/",
            "http://[fe80::1%25eth0]/", "http://1.2.3.4.5/", "http://256.0.0.1/", "http://1.2.3.0x100/",
            "http://08.0.0.1/", "http://a..b/", "http://exa%6Dple.com/", "http://foo.0x7f/"})
    void refusesMalformedUrls(String url) {
        assertThat(refusal(fetcher(), url).reason()).isEqualTo(FetchException.BAD_URL);
    }

    @Test
    void credentialsNeverEchoed() {
        assertThat(refusal(fetcher(), "http://user:hunter2@example.com/").getMessage()).doesNotContain("hunter2");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            // loopback, unspecified
            "http://127.0.0.1/", "http://127.255.1.2:8080/", "http://[::1]/", "http://0.0.0.0/", "http://0.1.2.3/", "http://[::]/",
            // private, link-local, CGNAT, unique-local
            "http://10.1.2.3/", "http://172.16.0.1/", "http://172.31.255.255/", "http://192.168.1.1/", "http://169.254.1.1/",
            "http://[fe80::1]/", "http://[febf::1]/", "http://100.64.0.1/", "http://100.127.255.255/", "http://[fc00::1]/",
            "http://[fd12:3456::1]/", "http://[fec0::1]/",
            // multicast, broadcast, reserved, benchmarking, documentation
            "http://224.0.0.1/", "http://239.255.255.250/", "http://[ff02::1]/", "http://255.255.255.255/", "http://240.0.0.1/",
            "http://198.18.0.1/", "http://198.19.255.1/", "http://192.0.2.1/", "http://203.0.113.9/", "http://[2001:db8::1]/",
            "http://[100::1]/",
            // cloud metadata
            "http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/", "http://100.100.100.200/",
            "http://metadata.google.internal/computeMetadata/v1/", "http://METADATA.Google.Internal./", "http://metadata/",
            // IPv4 inside IPv6
            "http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/", "http://[::ffff:a9fe:a9fe]/", "http://[::7f00:1]/",
            "http://[::127.0.0.1]/", "http://[64:ff9b::a00:1]/", "http://[64:ff9b::7f00:1]/", "http://[64:ff9b::169.254.169.254]/",
            "http://[2002:7f00:1::]/", "http://[2002:a00:1::1]/", "http://[2002:a9fe:a9fe::1]/", "http://[2001:0:4136:e378::1]/",
            // odd IPv4 spellings
            "http://2130706433/", "http://0177.0.0.1/", "http://0x7f.1/", "http://0x7F000001/", "http://127.1/", "http://127.0.1/",
            "http://017700000001/", "http://0x7f.0.0.0x1/", "http://127.0.0.1./", "http://0/", "http://3232235777/",
            "http://0xa9.0xfe.0xa9.0xfe/", "http://\uFF11\uFF12\uFF17\u3002\uFF10\u3002\uFF10\u3002\uFF11/"})
    void refusesNonPublicAddressesInEverySpelling(String url) {
        assertThat(refusal(fetcher(), url).reason()).isEqualTo(FetchException.BLOCKED_ADDRESS);
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://" + PUBLIC_V4 + "/", "https://8.8.8.8:8443/x?y=1", "http://[" + PUBLIC_V6 + "]/",
            "http://[::ffff:8.8.8.8]/", "http://[64:ff9b::808:808]/", "http://[2002:808:808::1]/", "http://134744072/",
            "http://0x8.0x8.0x8.0x8/", "HTTPS://8.8.8.8/", "http://100.128.0.1/", "http://172.32.0.1/", "http://198.20.0.1/"})
    void acceptsPublicAddresses(String url) throws FetchException {
        fetcher().check(URI.create(url));
    }

    @Test
    void namesAreJudgedByWhatTheyResolveTo() throws FetchException {
        dns.answer("good.test", PUBLIC_V4, PUBLIC_V6)
                .answer("private.test", "10.0.0.1")
                .answer("loop.test", "127.0.0.1")
                .answer("v6.test", "fe80::1")
                .answer("metadata.test", "169.254.169.254")
                .answer("nat64.test", "64:ff9b::a9fe:a9fe")
                .answer("mixed.test", PUBLIC_V4, "192.168.0.10");
        SafeFetcher fetcher = fetcher();

        fetcher.check(URI.create("https://good.test/img.png"));
        for (String host : List.of("private.test", "loop.test", "v6.test", "metadata.test", "nat64.test", "mixed.test")) {
            assertThat(refusal(fetcher, "https://" + host + "/img.png").reason()).as(host)
                    .isEqualTo(FetchException.BLOCKED_ADDRESS);
        }
    }

    @Test
    void mappedAddressFromTheResolverIsJudgedByItsIpv4Part() throws Exception {
        byte[] mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 127, 0, 0, 1};
        dns.answer("mapped.test", Inet6Address.getByAddress(null, mapped, -1));

        assertThat(refusal(fetcher(), "http://mapped.test/").reason()).isEqualTo(FetchException.BLOCKED_ADDRESS);
    }

    @Test
    void internationalNamesAreLookedUpInAscii() throws FetchException {
        dns.answer("xn--bcher-kva.example", PUBLIC_V4);

        fetcher().check(URI.create("http://b\u00fccher.example/"));

        assertThat(dns.lookups("xn--bcher-kva.example")).isEqualTo(1);
    }

    @Test
    void unknownNameIsUnresolvable() {
        FetchException e = refusal(fetcher(), "https://nowhere.test/");

        assertThat(e.reason()).isEqualTo(FetchException.UNRESOLVABLE);
        assertThat(e.getMessage()).contains("nowhere.test");
    }

    @Test
    void refusalNamesTheHostButNotTheAddressItResolvedTo() {
        dns.answer("intranet.test", "10.20.30.40");

        FetchException e = refusal(fetcher(), "https://intranet.test/secret-path?token=abc");

        assertThat(e.getMessage()).contains("intranet.test").doesNotContain("10.20.30.40", "secret-path", "token");
        assertThat(e.status()).isZero();
    }

    @Test
    void allowEntryOpensExactlyThatHostAndPort() throws FetchException {
        dns.answer("files.test", "10.0.0.5").answer("other.test", "10.0.0.5").answer("web.test", "192.168.1.1");
        SafeFetcher fetcher = fetcher("files.test:8080", "web.test:80", "10.0.0.7:9000", "[fd00::7]:443");

        fetcher.check(URI.create("http://files.test:8080/a"));
        fetcher.check(URI.create("http://FILES.test:8080/a"));
        fetcher.check(URI.create("http://web.test/"));
        fetcher.check(URI.create("http://10.0.0.7:9000/"));
        fetcher.check(URI.create("http://167772167:9000/"));
        fetcher.check(URI.create("https://[fd00::7]/"));
        for (String url : List.of("http://files.test:8081/a", "http://files.test/a", "https://web.test/", "http://other.test:8080/",
                "http://10.0.0.7:9001/", "http://10.0.0.8:9000/", "http://[fd00::7]/", "http://[fd00::8]:443/")) {
            assertThat(refusal(fetcher, url).reason()).as(url).isEqualTo(FetchException.BLOCKED_ADDRESS);
        }
    }

    @Test
    void allowEntryNeverOpensCloudMetadata() {
        dns.answer("meta.test", "169.254.169.254");
        SafeFetcher fetcher = fetcher("169.254.169.254:80", "meta.test:80", "metadata.google.internal:80");

        for (String url : List.of("http://169.254.169.254/", "http://meta.test/", "http://metadata.google.internal/")) {
            assertThat(refusal(fetcher, url).reason()).as(url).isEqualTo(FetchException.BLOCKED_ADDRESS);
        }
    }

    @Test
    void checkLooksUpEveryTime() throws FetchException {
        dns.answer("flip.test", PUBLIC_V4).answer("flip.test", "127.0.0.1");
        SafeFetcher fetcher = fetcher();

        fetcher.check(URI.create("http://flip.test/"));
        assertThat(refusal(fetcher, "http://flip.test/").reason()).isEqualTo(FetchException.BLOCKED_ADDRESS);
        assertThat(dns.lookups("flip.test")).isEqualTo(2);
    }

    @Test
    void literalsNeverReachTheResolver() throws Exception {
        Vetter.NameResolver strict = host -> {
            throw new AssertionError("looked up " + host);
        };
        try (SafeFetcher fetcher = new SafeFetcher(FetchPolicy.defaults(), strict)) {
            fetcher.check(URI.create("http://8.8.8.8/"));
            fetcher.check(URI.create("http://[" + PUBLIC_V6 + "]/"));
            fetcher.check(URI.create("http://134744072/"));
        }
    }
}
