/**
 * The outbound fetcher for URLs that users supply. Everything the service fetches on a user's behalf
 * goes through {@link app.apimodels.core.fetch.SafeFetcher}; the rules it enforces, and why:
 *
 * <ul>
 * <li><b>Scheme and form.</b> Only http and https. URLs with user info are refused (they smuggle
 * credentials and confuse parsers about which part is the host). Hosts are canonicalised once
 * (IDN to ASCII, numeric IPv4 spellings such as {@code 2130706433}, {@code 0177.0.0.1}, {@code 0x7f.1}
 * or {@code 127.1} to dotted decimal the way browsers and the C resolver read them) and only the
 * canonical host is ever looked up, compared or connected to.</li>
 * <li><b>Addresses, DNS rebinding.</b> The HTTP client gets its socket addresses only from
 * {@code Vetter}, plugged in as its {@code DnsResolver}. It resolves once per connection and refuses
 * the host if <em>any</em> address is not public; the socket then goes to exactly the checked
 * addresses. Checking a name in one lookup and connecting after another would let a rebinding DNS
 * server answer public first and private second; there is no second lookup here. Literal addresses
 * take the same path. Cloud metadata names and addresses are refused always.</li>
 * <li><b>Allow-list.</b> {@code apimodels.fetch.allowed-private-hosts} entries let exactly that
 * {@code host:port} (as the URL spells it, default ports applied) resolve to private addresses, for
 * tests and private deployments; nothing else is opened.</li>
 * <li><b>Redirects.</b> Followed by our own loop, never by the client: each Location is resolved against
 * the current URL and checked like a new URL, up to the policy's maximum. A redirect from https to http
 * is followed: the user could have given the http URL directly, and no credential, cookie or header of
 * theirs travels with the request, so the downgrade exposes nothing an http URL would not. POST
 * (callbacks) follows no redirects.</li>
 * <li><b>Time and size.</b> A connect timeout per connection and one deadline for the whole fetch,
 * body included, that cancels the request (closing its socket) when it passes. Bodies are cut off once
 * more than the caller's limit arrives, or refused up front when Content-Length says so; a body not
 * read to its end is discarded with its connection, never drained. Name lookups are the system's and
 * are bounded by its resolver timeout, not by the deadline.</li>
 * <li><b>TLS.</b> The JDK's default trust store and HttpClient's hostname verification: SNI and the
 * certificate check use the URL's host name while the TCP connection goes to the vetted address.</li>
 * </ul>
 */
package app.apimodels.core.fetch;
