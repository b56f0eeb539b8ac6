package app.apimodels.console;

import app.apimodels.core.catalog.Catalog;
import app.apimodels.core.catalog.Price;
import app.apimodels.core.web.Router.Access;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/** The models on offer ({@code /console/models}) and what they cost, markup included, in credits. */
public final class ModelsPage implements Section {

    /**
     * One model as the page lists it.
     *
     * @param prices each charged unit: a message key and its price in credits
     */
    public record Row(String id, String kind, List<Map.Entry<String, String>> prices) {
    }

    @Override
    public void install(Console console) {
        console.nav(Nav.Area.PEOPLE, "nav.models", "/console/models")
                .route("GET", "/console/models", Access.ACCOUNT, r -> console.render(r, 200, "models.jte", "models.title",
                        Map.of("models", rows(console.services().catalog().catalog()))));
    }

    static List<Row> rows(Catalog catalog) {
        return catalog.models().stream().sorted(Comparator.comparing(Catalog.Model::id))
                .map(m -> new Row(m.id(), m.spec().kind().wireName(), prices(m.spec().price(), m.markupBasisPoints()))).toList();
    }

    /** The non-zero parts of a price, each raised by the model's markup and rounded up to a micro, as the charge is. */
    private static List<Map.Entry<String, String>> prices(Price p, int markupBasisPoints) {
        List<Map.Entry<String, String>> out = new ArrayList<>();
        add(out, "price.input", p.inputPer1M(), markupBasisPoints);
        add(out, "price.output", p.outputPer1M(), markupBasisPoints);
        if (p.cachedInputPer1M() != null) {
            add(out, "price.cached", p.cachedInputPer1M(), markupBasisPoints);
        }
        add(out, "price.request", p.perRequest(), markupBasisPoints);
        add(out, "price.image", p.perImage(), markupBasisPoints);
        add(out, "price.second", p.perSecond(), markupBasisPoints);
        add(out, "price.characters", p.per1kCharacters(), markupBasisPoints);
        return out;
    }

    private static void add(List<Map.Entry<String, String>> out, String key, long micros, int markupBasisPoints) {
        if (micros != 0) {
            BigInteger[] qr = BigInteger.valueOf(micros).multiply(BigInteger.valueOf(10_000L + markupBasisPoints))
                    .divideAndRemainder(BigInteger.valueOf(10_000));
            long marked = qr[0].longValueExact() + (qr[1].signum() > 0 ? 1 : 0);
            out.add(Map.entry(key, Format.credits(marked)));
        }
    }
}
