package io.github.sdsat.report;

import io.github.sdsat.results.RowSummary;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The report's PNG charts, the paper's figures: per dataset, mean time, tokens/s, acceptance rate, tokens per
 * forward pass and speedup against k. Each non-baseline (decoder, temperature[, sampling]) is one series; the
 * autoregressive baseline, which has no k, is a dashed horizontal line where its value is meaningful.
 */
public final class Charts {

    static {
        // Charts are drawn off-screen; without this a JVM with a DISPLAY variable but no X server would fail.
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    /** Pixel width of each chart. */
    public static final int WIDTH = 720;

    /** Pixel height of each chart. */
    public static final int HEIGHT = 440;

    private static final Color[] SERIES_COLOURS = {
        new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0xff7f0e),
        new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x17becf),
        new Color(0xbcbd22), new Color(0x7f7f7f)
    };

    /** One metric plotted against k. */
    private record Metric(
            String slug,
            String title,
            String axisLabel,
            Function<RowSummary, Double> value,
            boolean baselineLine,
            Double floorOfUpperBound) {}

    private static final List<Metric> METRICS = List.of(
            new Metric(
                    "time",
                    "Mean time per prompt",
                    "ms per prompt (prefill included)",
                    RowSummary::meanTimeMs,
                    true,
                    null),
            new Metric(
                    "tokens-per-second",
                    "Tokens per second",
                    "new tokens / wall second",
                    RowSummary::tokensPerSecond,
                    true,
                    null),
            new Metric(
                    "acceptance",
                    "Draft acceptance rate",
                    "accepted / drafted tokens",
                    RowSummary::acceptRate,
                    false,
                    1.0),
            new Metric(
                    "tokens-per-forward",
                    "Tokens per forward pass",
                    "new tokens / forward passes",
                    RowSummary::tokensPerForward,
                    true,
                    null),
            new Metric(
                    "speedup",
                    "Speedup over autoregressive decoding",
                    "baseline mean time / mean time (same prompts)",
                    RowSummary::speedup,
                    true,
                    null));

    /**
     * One chart of the report.
     *
     * @param fileName file name in the run folder, e.g. {@code humaneval-speedup.png}
     * @param dataset the dataset it shows
     * @param title human title
     * @param png the encoded image
     */
    public record ChartImage(String fileName, String dataset, String title, byte[] png) {}

    private Charts() {}

    /**
     * Renders the charts of all datasets in row order; a metric is left out for a dataset when it has nothing to
     * show (e.g. acceptance for a run with only the baseline).
     */
    public static List<ChartImage> render(List<RowSummary> rows) {
        Set<String> datasets = new LinkedHashSet<>();
        rows.forEach(row -> datasets.add(row.dataset()));
        List<ChartImage> images = new ArrayList<>();
        for (String dataset : datasets) {
            List<RowSummary> ofDataset =
                    rows.stream().filter(row -> row.dataset().equals(dataset)).toList();
            for (Metric metric : METRICS) {
                JFreeChart chart = chart(dataset, ofDataset, metric);
                if (chart != null) {
                    images.add(new ChartImage(
                            fileNameOf(dataset, metric.slug()),
                            dataset,
                            metric.title() + " — " + dataset,
                            encode(chart)));
                }
            }
        }
        return images;
    }

    /** A file-system-safe chart name: the dataset with anything but letters, digits, '-', '_' replaced. */
    static String fileNameOf(String dataset, String metricSlug) {
        String safe = dataset.replaceAll("[^A-Za-z0-9_-]", "_");
        return safe + "-" + metricSlug + ".png";
    }

    private static String seriesName(RowSummary row) {
        String name = row.decoder() + " T=" + formatTemperature(row.temperature());
        return row.sampling() == null ? name : name + " " + row.sampling();
    }

    static String formatTemperature(double temperature) {
        return temperature == Math.rint(temperature)
                ? String.format(Locale.ROOT, "%.1f", temperature)
                : Double.toString(temperature);
    }

    private static JFreeChart chart(String dataset, List<RowSummary> rows, Metric metric) {
        Map<String, XYSeries> series = new LinkedHashMap<>();
        double maximum = 0;
        for (RowSummary row : rows) {
            if (row.isBaseline()) {
                continue;
            }
            Double value = metric.value().apply(row);
            if (value == null || !Double.isFinite(value)) {
                continue;
            }
            series.computeIfAbsent(seriesName(row), name -> new XYSeries(name, true, false))
                    .add(row.k(), value);
            maximum = Math.max(maximum, value);
        }
        // One dashed line per distinct baseline value; temperatures sharing a value (e.g. every speedup of 1.0)
        // share a line and a label, so labels do not pile up on each other.
        Map<Double, List<String>> baselineValues = new LinkedHashMap<>();
        if (metric.baselineLine()) {
            for (RowSummary row : rows) {
                Double value = row.isBaseline() ? metric.value().apply(row) : null;
                if (value != null && Double.isFinite(value)) {
                    baselineValues
                            .computeIfAbsent(value, unused -> new ArrayList<>())
                            .add(formatTemperature(row.temperature()));
                    maximum = Math.max(maximum, value);
                }
            }
        }
        List<ValueMarker> markers = new ArrayList<>();
        for (Map.Entry<Double, List<String>> entry : baselineValues.entrySet()) {
            ValueMarker marker = new ValueMarker(entry.getKey());
            marker.setPaint(new Color(0x55, 0x55, 0x55));
            marker.setStroke(
                    new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
            marker.setLabel(
                    "ar baseline T=" + String.join(", ", entry.getValue()) + ": " + formatValue(entry.getKey()));
            marker.setLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
            marker.setLabelPaint(new Color(0x33, 0x33, 0x33));
            marker.setLabelBackgroundColor(new Color(255, 255, 255, 200));
            // Alternate sides so that labels of nearby lines do not cover each other.
            boolean right = markers.size() % 2 == 1;
            marker.setLabelAnchor(right ? RectangleAnchor.TOP_RIGHT : RectangleAnchor.TOP_LEFT);
            marker.setLabelTextAnchor(right ? TextAnchor.BOTTOM_RIGHT : TextAnchor.BOTTOM_LEFT);
            markers.add(marker);
        }
        if (series.isEmpty()) {
            return null;
        }
        XYSeriesCollection collection = new XYSeriesCollection();
        series.values().forEach(collection::addSeries);
        JFreeChart chart = org.jfree.chart.ChartFactory.createXYLineChart(
                metric.title() + " — " + dataset,
                "k (semantic adaptive tokens per draft)",
                metric.axisLabel(),
                collection,
                PlotOrientation.VERTICAL,
                true,
                false,
                false);
        chart.setBackgroundPaint(Color.WHITE);
        chart.getTitle().setFont(new Font(Font.SANS_SERIF, Font.BOLD, 18));
        LegendTitle legend = chart.getLegend();
        legend.setPosition(RectangleEdge.BOTTOM);
        legend.setFrame(org.jfree.chart.block.BlockBorder.NONE);
        legend.setItemFont(new Font(Font.SANS_SERIF, Font.PLAIN, 15));

        XYPlot plot = chart.getXYPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setOutlineVisible(false);
        plot.setDomainGridlinePaint(new Color(0xdd, 0xdd, 0xdd));
        plot.setRangeGridlinePaint(new Color(0xdd, 0xdd, 0xdd));
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        for (int i = 0; i < collection.getSeriesCount(); i++) {
            renderer.setSeriesPaint(i, SERIES_COLOURS[i % SERIES_COLOURS.length]);
            renderer.setSeriesStroke(i, new BasicStroke(2.2f));
        }
        plot.setRenderer(renderer);
        markers.forEach(plot::addRangeMarker);

        NumberAxis domain = (NumberAxis) plot.getDomainAxis();
        domain.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        domain.setAutoRangeIncludesZero(false);
        double lowestK = collection.getDomainLowerBound(false);
        double highestK = collection.getDomainUpperBound(false);
        domain.setRange(lowestK - 0.5, highestK + 0.5);
        NumberAxis range = (NumberAxis) plot.getRangeAxis();
        for (NumberAxis axis : List.of(domain, range)) {
            axis.setLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 15));
            axis.setTickLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
        }
        double upper = maximum > 0 ? maximum * 1.12 : 1.0;
        if (metric.floorOfUpperBound() != null) {
            upper = Math.max(upper, metric.floorOfUpperBound() * 1.05);
        }
        // Zero-based so that ratios between points read true; the headroom keeps the baseline label inside.
        range.setRange(0.0, upper);
        return chart;
    }

    static String formatValue(double value) {
        if (Math.abs(value) >= 100) {
            return String.format(Locale.ROOT, "%.0f", value);
        }
        if (Math.abs(value) >= 10) {
            return String.format(Locale.ROOT, "%.1f", value);
        }
        return String.format(Locale.ROOT, "%.2f", value);
    }

    private static byte[] encode(JFreeChart chart) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ChartUtils.writeChartAsPNG(out, chart, WIDTH, HEIGHT);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "Cannot encode chart " + chart.getTitle().getText() + " as PNG", e);
        }
        return out.toByteArray();
    }
}
