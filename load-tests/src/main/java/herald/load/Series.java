package herald.load;

import java.util.List;

/**
 * One series of a chart: its legend name, the index of its group (one colour per group), its style
 * and its points as {x, y} pairs, several of which may share an x.
 */
record Series(String name, int group, SeriesStyle style, List<double[]> points) {}
