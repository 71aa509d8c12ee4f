#pragma once

#include <map>
#include <string>
#include <vector>

namespace echolab {

/// A 1-based line and column in a text file (columns count UTF-8 characters).
struct TextPosition {
  int line = 1;
  int column = 1;
};

/// One step of a path into a JSON document: an object key or an array index
/// written as decimal text ("cases", "2", "server.model").
using JsonPath = std::vector<std::string>;

/// Owns an index from every member and element of one JSON text (with `//`
/// and `/* */` comments) to where it is written, so errors found after
/// parsing can name file:line:column. Built once, then read-only: any thread.
class JsonLocator {
 public:
  /// Scans `text`, which nlohmann has already parsed successfully.
  explicit JsonLocator(std::string text);

  /// Where the key of an object member is written (for an array element or
  /// the document itself: where its value starts). Falls back to the nearest
  /// ancestor that exists, and to 1:1.
  TextPosition key_position(const JsonPath& path) const;
  /// Where the value at `path` starts; same fallbacks.
  TextPosition value_position(const JsonPath& path) const;

  /// Paths of object members whose key was already used in the same object
  /// (nlohmann keeps one of them silently), in text order.
  const std::vector<JsonPath>& duplicate_keys() const { return duplicates_; }

  /// The line:column of a byte offset (0-based) of `text`.
  static TextPosition position_of_offset(const std::string& text, size_t offset);

 private:
  struct Entry {
    size_t key_offset = 0;
    size_t value_offset = 0;
  };

  void skip_space();
  /// Notes that the member or element at `path` starts at `key_offset` and
  /// its value at the current offset.
  void record(const JsonPath& path, size_t key_offset);
  void scan_value(JsonPath& path);
  void scan_object(JsonPath& path);
  void scan_array(JsonPath& path);
  std::string scan_string();
  void scan_scalar();
  const Entry* nearest_entry(const JsonPath& path) const;

  std::string text_;
  size_t at_ = 0;
  std::map<JsonPath, Entry> entries_;
  std::vector<JsonPath> duplicates_;
};

/// `cases[2].server.model`: a path written the way users read it (array
/// indexes in brackets, keys joined by dots).
std::string describe_path(const JsonPath& path);

}  // namespace echolab
