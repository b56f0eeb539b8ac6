package app.apimodels.console;

import app.apimodels.core.calllog.CallLog;
import app.apimodels.core.web.Json;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The chart's data: one column per day (every day of the range, spent or not), one series per
 * model in credits, and the same as rows for the table beside it.
 *
 * @param days   the dates, oldest first
 * @param models the models that were called, by name
 * @param micros micros spent: {@code micros[model][day]}
 */
public record SpendChart(List<String> days, List<String> models, long[][] micros) {

    static SpendChart of(List<CallLog.DailySpend> rows, long firstDay, int dayCount) {
        List<String> models = new ArrayList<>(new TreeSet<>(rows.stream().map(d -> d.model() == null ? "—" : d.model()).toList()));
        List<String> days = new ArrayList<>();
        for (int i = 0; i < dayCount; i++) {
            days.add(LocalDate.ofEpochDay(firstDay + i).toString());
        }
        long[][] micros = new long[models.size()][dayCount];
        for (CallLog.DailySpend d : rows) {
            int day = (int) (d.day() - firstDay);
            if (day >= 0 && day < dayCount) {
                micros[models.indexOf(d.model() == null ? "—" : d.model())][day] += d.costMicros();
            }
        }
        return new SpendChart(days, models, micros);
    }

    /** The days with any spend, for the table (newest first). */
public List<Integer> spentDays() {
        List<Integer> spent = new ArrayList<>();
        for (int day = days.size() - 1; day >= 0; day--) {
            for (long[] series : micros) {
                if (series[day] != 0) {
                    spent.add(day);
                    break;
                }
            }
        }
        return spent;
    }

    /** The chart's data for console.js: {@code {"days":[…],"series":[{"model":…,"micros":[…]}]}}. */
public String json() {
        List<Map<String, Object>> series = new ArrayList<>();
        for (int m = 0; m < models.size(); m++) {
            Map<String, Object> one = new LinkedHashMap<>();
            one.put("model", models.get(m));
            one.put("micros", micros[m]);
            series.add(one);
        }
        Map<String, Object> chart = new LinkedHashMap<>();
        chart.put("days", days);
        chart.put("series", series);
        return Json.string(chart);
    }
}
