package app.apimodels.testkit;

import com.github.tomakehurst.wiremock.common.Json;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** The payer's side of MockStripe: the checkout page a session's url opens, and what pressing "Pay" sends. */
class MockStripeCheckoutPageTest {

    private final HttpClient http = HttpClient.newHttpClient();
    private final MockStripe stripe = new MockStripe("sk_test_page", "whsec_page");
    private HttpServer endpoint;

    @AfterEach
    void stop() {
        stripe.close();
        if (endpoint != null) {
            endpoint.stop(0);
        }
    }

    @Test
    void payingOnTheCheckoutPagePostsTheSignedCompletionThenSendsThePayerBack() throws Exception {
        CompletableFuture<Map.Entry<String, byte[]>> received = new CompletableFuture<>();
        endpoint = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        endpoint.createContext("/webhooks/stripe", exchange -> {
            received.complete(Map.entry(exchange.getRequestHeaders().getFirst("Stripe-Signature"), exchange.getRequestBody().readAllBytes()));
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        endpoint.start();
        stripe.endpoint(URI.create("http://127.0.0.1:" + endpoint.getAddress().getPort() + "/webhooks/stripe"));

        Map<?, ?> session = Json.read(http.send(HttpRequest.newBuilder(URI.create(stripe.apiBase() + "/v1/checkout/sessions"))
                .header("Authorization", "Bearer sk_test_page").header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form(Map.of("mode", "payment",
                        "line_items[0][price_data][currency]", "usd", "line_items[0][price_data][unit_amount]", "500",
                        "line_items[0][price_data][product_data][name]", "5 credits", "client_reference_id", "ord_1",
                        "success_url", "https://shop.example/billing?order=ord_1", "cancel_url", "https://shop.example/billing"))))
                .build(), HttpResponse.BodyHandlers.ofString()).body(), Map.class);
        URI page = URI.create((String) session.get("url"));
        assertThat(page.toString()).startsWith(stripe.apiBase() + "/c/pay/cs_test_");

        HttpResponse<String> shown = http.send(HttpRequest.newBuilder(page).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(shown.statusCode()).isEqualTo(200);
        assertThat(shown.body()).contains("5.00 USD").contains("<button type=\"submit\">Pay</button>")
                .contains("href=\"https://shop.example/billing\"");

        HttpResponse<String> paid = http.send(HttpRequest.newBuilder(page).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(paid.statusCode()).isEqualTo(303);
        assertThat(paid.headers().firstValue("Location")).hasValue("https://shop.example/billing?order=ord_1");

        Map.Entry<String, byte[]> delivery = received.get(10, TimeUnit.SECONDS);
        Map<?, ?> event = Json.read(new String(delivery.getValue(), StandardCharsets.UTF_8), Map.class);
        Map<?, ?> object = (Map<?, ?>) ((Map<?, ?>) event.get("data")).get("object");
        assertThat(event.get("type")).isEqualTo("checkout.session.completed");
        assertThat(object.get("id")).isEqualTo(session.get("id"));
        assertThat(object.get("payment_status")).isEqualTo("paid");
        String t = delivery.getKey().substring(2, delivery.getKey().indexOf(','));
        assertThat(delivery.getKey()).as("signed as Stripe signs, with the endpoint's secret")
                .isEqualTo(MockStripe.signatureHeader(delivery.getValue(), Instant.ofEpochSecond(Long.parseLong(t)), "whsec_page"));

        assertThat(http.send(HttpRequest.newBuilder(page).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                .as("a paid session's page is closed").isEqualTo(404);
    }

    private static String form(Map<String, String> params) {
        return params.entrySet().stream().map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8)).collect(Collectors.joining("&"));
    }
}
