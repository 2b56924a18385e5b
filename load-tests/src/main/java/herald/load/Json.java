package herald.load;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** One flat JSON object, fields in insertion order: the one result line a scenario step prints. */
final class Json {

  private final Map<String, Object> fields = new LinkedHashMap<>();

  Json put(String name, Object value) {
    fields.put(name, value);
    return this;
  }

  @Override
  public String toString() {
    StringBuilder out = new StringBuilder("{");
    fields.forEach(
        (name, value) -> {
          if (out.length() > 1) {
            out.append(',');
          }
          out.append('"').append(name).append("\":");
          if (value instanceof Double d) {
            out.append(String.format(Locale.ROOT, "%.2f", d));
          } else if (value instanceof Number || value instanceof Boolean) {
            out.append(value);
          } else {
            out.append('"').append(String.valueOf(value).replace("\"", "'")).append('"');
          }
        });
    return out.append('}').toString();
  }
}
