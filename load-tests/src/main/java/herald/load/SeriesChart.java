package herald.load;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.geom.Line2D;
import java.text.DecimalFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.LegendItem;
import org.jfree.chart.LegendItemCollection;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.Range;
import org.jfree.data.general.DatasetUtils;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * A chart of series against deliveries per second, with a horizontal target line. Every point is
 * drawn; each series' line joins the median of its points at each x, in x order.
 */
record SeriesChart(
    String title, String yLabel, boolean logScale, double target, String targetLabel) {

  private static final Color[] PALETTE = {
    new Color(0x1f77b4),
    new Color(0x2ca02c),
    new Color(0x9467bd),
    new Color(0xff7f0e),
    new Color(0x17becf),
    new Color(0x8c564b),
    new Color(0xe377c2),
    new Color(0x7f7f7f),
    new Color(0xbcbd22)
  };
  private static final Color TARGET = new Color(0xb00000);

  JFreeChart draw(String subtitle, List<Series> series) {
    XYSeriesCollection points = new XYSeriesCollection();
    XYSeriesCollection medians = new XYSeriesCollection();
    XYLineAndShapeRenderer pointRenderer = new XYLineAndShapeRenderer(false, true);
    XYLineAndShapeRenderer lineRenderer = new XYLineAndShapeRenderer(true, false);
    LegendItemCollection legend = new LegendItemCollection();
    for (int i = 0; i < series.size(); i++) {
      Series one = series.get(i);
      XYSeries all = everyPoint(one);
      points.addSeries(all);
      medians.addSeries(medianPerX(all));
      Color color = PALETTE[one.group() % PALETTE.length];
      pointRenderer.setSeriesPaint(i, color);
      pointRenderer.setSeriesShape(i, one.style().shape());
      lineRenderer.setSeriesPaint(i, color);
      lineRenderer.setSeriesStroke(i, one.style().stroke());
      legend.add(legendItem(one, color));
    }
    Range data = DatasetUtils.findRangeBounds(points);
    double low = data == null ? target : Math.min(target, data.getLowerBound());
    double high = data == null ? target : Math.max(target, data.getUpperBound());
    ValueAxis yAxis = logScale ? logAxis(low, high) : linearAxis(high);
    XYPlot plot = new XYPlot(points, xAxis(), yAxis, pointRenderer);
    plot.setDataset(1, medians);
    plot.setRenderer(1, lineRenderer);
    plot.setFixedLegendItems(legend);
    plot.addRangeMarker(targetMarker());
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    plot.setRangeMinorGridlinesVisible(logScale); // 2, 3, ... 9 of each power of ten
    plot.setRangeMinorGridlinePaint(new Color(0xeeeeee));

    JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
    chart.addSubtitle(new TextTitle(subtitle, new Font(Font.SANS_SERIF, Font.PLAIN, 12)));
    chart.setBackgroundPaint(Color.WHITE);
    return chart;
  }

  /** The series' points, sorted by x; several may share an x. */
  private XYSeries everyPoint(Series one) {
    XYSeries all = new XYSeries(one.name(), true, true);
    for (double[] point : one.points()) {
      if (logScale && point[1] <= 0) {
        System.err.println("left out of the log scale: " + one.name() + " y=" + point[1]);
      } else {
        all.add(point[0], point[1]);
      }
    }
    return all;
  }

  private static XYSeries medianPerX(XYSeries all) {
    Map<Double, List<Double>> byX = new TreeMap<>();
    for (int i = 0; i < all.getItemCount(); i++) {
      byX.computeIfAbsent(all.getX(i).doubleValue(), x -> new ArrayList<>())
          .add(all.getY(i).doubleValue());
    }
    XYSeries middle = new XYSeries(all.getKey(), true, false);
    byX.forEach((x, ys) -> middle.add(x.doubleValue(), median(ys)));
    return middle;
  }

  /** Both the point shape and the line style, so the legend names points and lines alike. */
  private static LegendItem legendItem(Series one, Color color) {
    return new LegendItem(
        one.name(),
        null,
        null,
        null,
        true,
        one.style().shape(),
        true,
        color,
        false,
        color,
        one.style().stroke(),
        true,
        new Line2D.Double(-20, 0, 20, 0),
        one.style().stroke(),
        color);
  }

  private static NumberAxis xAxis() {
    NumberAxis axis =
        new NumberAxis("Delivered per second (publications per second × subscribers)");
    axis.setNumberFormatOverride(new DecimalFormat("#,##0"));
    return axis;
  }

  /** Log axis with the data and the target in view, ticks as plain numbers (1, 10, 100). */
  private ValueAxis logAxis(double low, double high) {
    LogAxis axis = new LogAxis(yLabel);
    axis.setNumberFormatOverride(new DecimalFormat("#,##0.###"));
    axis.setTickUnit(new NumberTickUnit(1)); // one tick per power of ten
    axis.setMinorTickCount(9);
    axis.setMinorTickMarksVisible(true);
    axis.setRange(low / 2, high * 2);
    return axis;
  }

  /** Linear axis from zero, high enough for the data and the target. */
  private ValueAxis linearAxis(double high) {
    NumberAxis axis = new NumberAxis(yLabel);
    axis.setRange(0, high * 1.1);
    return axis;
  }

  private ValueMarker targetMarker() {
    BasicStroke dashed =
        new BasicStroke(
            2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {12, 6}, 0f);
    ValueMarker marker = new ValueMarker(target, TARGET, dashed);
    marker.setLabel(targetLabel);
    marker.setLabelFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
    marker.setLabelPaint(TARGET);
    marker.setLabelBackgroundColor(new Color(255, 255, 255, 200));
    marker.setLabelAnchor(RectangleAnchor.TOP_LEFT);
    marker.setLabelTextAnchor(TextAnchor.BOTTOM_LEFT);
    marker.setLabelOffset(new RectangleInsets(2, 8, 2, 2));
    return marker;
  }

  private static double median(List<Double> values) {
    List<Double> sorted = values.stream().sorted().toList();
    int half = sorted.size() / 2;
    return sorted.size() % 2 == 1
        ? sorted.get(half)
        : (sorted.get(half - 1) + sorted.get(half)) / 2;
  }
}
