package herald.load;

import java.awt.BasicStroke;
import java.awt.Shape;
import java.awt.Stroke;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;

/** How one metric's series looks, so that percentiles of the same group tell apart in grey too. */
enum SeriesStyle {
  SOLID(new BasicStroke(2.5f), new Rectangle2D.Double(-3.5, -3.5, 7, 7)),
  DOTTED(dashes(2, 4), new Ellipse2D.Double(-4, -4, 8, 8)),
  DASHED(dashes(9, 5), triangle());

  private final Stroke stroke;
  private final Shape shape;

  SeriesStyle(Stroke stroke, Shape shape) {
    this.stroke = stroke;
    this.shape = shape;
  }

  Stroke stroke() {
    return stroke;
  }

  Shape shape() {
    return shape;
  }

  private static Stroke dashes(float on, float off) {
    return new BasicStroke(
        2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {on, off}, 0f);
  }

  private static Shape triangle() {
    Path2D.Double path = new Path2D.Double();
    path.moveTo(0, -4.5);
    path.lineTo(4.5, 4);
    path.lineTo(-4.5, 4);
    path.closePath();
    return path;
  }
}
