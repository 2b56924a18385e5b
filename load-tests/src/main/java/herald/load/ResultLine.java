package herald.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * One result line read back from a JSONL file: a flat JSON object of strings, numbers and booleans,
 * as {@link Json} writes them. {@code where} names the file and line for warnings.
 */
record ResultLine(String where, Map<String, Object> fields) {

  /**
   * Reads every line of a JSONL file; blank lines are ignored and lines that are not a flat JSON
   * object are skipped with a warning on stderr.
   */
  static List<ResultLine> read(Path file) throws IOException {
    List<ResultLine> lines = new ArrayList<>();
    List<String> texts = Files.readAllLines(file);
    for (int i = 0; i < texts.size(); i++) {
      String where = file.getFileName() + ":" + (i + 1);
      if (texts.get(i).isBlank()) {
        continue;
      }
      try {
        lines.add(new ResultLine(where, parse(texts.get(i))));
      } catch (IllegalArgumentException e) {
        System.err.println("skipped " + where + ": " + e.getMessage());
      }
    }
    return lines;
  }

  /**
   * Parses one flat JSON object. Numbers become {@code Double}, {@code null} values are left out;
   * nested objects and arrays are refused (result lines have none).
   *
   * @throws IllegalArgumentException if the text is not a flat JSON object
   */
  static Map<String, Object> parse(String json) {
    return new Cursor(json).object();
  }

  /** The named string field, if present. */
  Optional<String> text(String name) {
    return fields.get(name) instanceof String s ? Optional.of(s) : Optional.empty();
  }

  /** The named numeric field, if present. */
  OptionalDouble number(String name) {
    return fields.get(name) instanceof Double d ? OptionalDouble.of(d) : OptionalDouble.empty();
  }

  /** Walks the text of one object, left to right. */
  private static final class Cursor {

    private final String text;
    private int at;

    Cursor(String text) {
      this.text = text;
    }

    Map<String, Object> object() {
      Map<String, Object> fields = new LinkedHashMap<>();
      expect('{');
      if (!take('}')) {
        do {
          String name = string();
          expect(':');
          Object value = value();
          if (value != null) {
            fields.put(name, value);
          }
        } while (take(','));
        expect('}');
      }
      skipSpace();
      if (at != text.length()) {
        throw error("text after the object");
      }
      return fields;
    }

    private Object value() {
      skipSpace();
      char c = peek();
      if (c == '"') {
        return string();
      }
      if (c == '{' || c == '[') {
        throw error("not a flat object");
      }
      for (String word : new String[] {"true", "false", "null"}) {
        if (text.startsWith(word, at)) {
          at += word.length();
          return word.equals("null") ? null : Boolean.valueOf(word);
        }
      }
      int start = at;
      while (at < text.length() && "+-.0123456789eE".indexOf(text.charAt(at)) >= 0) {
        at++;
      }
      try {
        return Double.valueOf(text.substring(start, at));
      } catch (NumberFormatException e) {
        throw error("bad value");
      }
    }

    private String string() {
      expect('"');
      StringBuilder out = new StringBuilder();
      for (char c = next(); c != '"'; c = next()) {
        out.append(c == '\\' ? escaped(next()) : c);
      }
      return out.toString();
    }

    private char escaped(char c) {
      return switch (c) {
        case 'n' -> '\n';
        case 't' -> '\t';
        case 'r' -> '\r';
        case 'b' -> '\b';
        case 'f' -> '\f';
        case 'u' -> unicode();
        default -> c; // '"', '\\' and '/' stand for themselves
      };
    }

    private char unicode() {
      if (at + 4 > text.length()) {
        throw error("short \\u escape");
      }
      try {
        char c = (char) Integer.parseInt(text.substring(at, at + 4), 16);
        at += 4;
        return c;
      } catch (NumberFormatException e) {
        throw error("bad \\u escape");
      }
    }

    private void expect(char c) {
      if (!take(c)) {
        throw error("expected '" + c + "'");
      }
    }

    private boolean take(char c) {
      skipSpace();
      if (at < text.length() && text.charAt(at) == c) {
        at++;
        return true;
      }
      return false;
    }

    private char peek() {
      if (at >= text.length()) {
        throw error("unexpected end");
      }
      return text.charAt(at);
    }

    private char next() {
      char c = peek();
      at++;
      return c;
    }

    private void skipSpace() {
      while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
        at++;
      }
    }

    private IllegalArgumentException error(String what) {
      return new IllegalArgumentException(what + " at column " + (at + 1));
    }
  }
}
