#include "harness/sweep/json_locator.h"

#include <cctype>

namespace echolab {

JsonLocator::JsonLocator(std::string text) : text_(std::move(text)) {
  JsonPath root;
  if (text_.rfind("\xEF\xBB\xBF", 0) == 0) at_ = 3;  // a UTF-8 byte order mark
  skip_space();
  record(root, at_);
  scan_value(root);
}

TextPosition JsonLocator::position_of_offset(const std::string& text, size_t offset) {
  TextPosition position;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      ++position.line;
      position.column = 1;
    } else if ((c & 0xC0) != 0x80) {  // not a UTF-8 continuation byte
      ++position.column;
    }
  }
  return position;
}

const JsonLocator::Entry* JsonLocator::nearest_entry(const JsonPath& path) const {
  JsonPath prefix = path;
  while (true) {
    auto it = entries_.find(prefix);
    if (it != entries_.end()) return &it->second;
    if (prefix.empty()) return nullptr;
    prefix.pop_back();
  }
}

TextPosition JsonLocator::key_position(const JsonPath& path) const {
  const Entry* entry = nearest_entry(path);
  return position_of_offset(text_, entry ? entry->key_offset : 0);
}

TextPosition JsonLocator::value_position(const JsonPath& path) const {
  const Entry* entry = nearest_entry(path);
  return position_of_offset(text_, entry ? entry->value_offset : 0);
}

void JsonLocator::skip_space() {
  while (at_ < text_.size()) {
    const char c = text_[at_];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++at_;
    } else if (text_.compare(at_, 2, "//") == 0) {
      at_ = text_.find('\n', at_);
      if (at_ == std::string::npos) at_ = text_.size();
    } else if (text_.compare(at_, 2, "/*") == 0) {
      size_t end = text_.find("*/", at_ + 2);
      at_ = end == std::string::npos ? text_.size() : end + 2;
    } else {
      return;
    }
  }
}

void JsonLocator::record(const JsonPath& path, size_t key_offset) {
  auto [it, inserted] = entries_.try_emplace(path, Entry{key_offset, at_});
  if (inserted) return;
  duplicates_.push_back(path);
  it->second = Entry{key_offset, at_};  // nlohmann keeps the last one
}

void JsonLocator::scan_value(JsonPath& path) {
  if (at_ >= text_.size()) return;
  switch (text_[at_]) {
    case '{':
      scan_object(path);
      break;
    case '[':
      scan_array(path);
      break;
    case '"':
      scan_string();
      break;
    default:
      scan_scalar();
  }
}

void JsonLocator::scan_object(JsonPath& path) {
  ++at_;  // '{'
  skip_space();
  while (at_ < text_.size() && text_[at_] != '}') {
    const size_t key_offset = at_;
    path.push_back(scan_string());
    skip_space();
    ++at_;  // ':'
    skip_space();
    record(path, key_offset);
    scan_value(path);
    path.pop_back();
    skip_space();
    if (at_ < text_.size() && text_[at_] == ',') ++at_;
    skip_space();
  }
  ++at_;  // '}'
}

void JsonLocator::scan_array(JsonPath& path) {
  ++at_;  // '['
  skip_space();
  for (size_t index = 0; at_ < text_.size() && text_[at_] != ']'; ++index) {
    const size_t before = at_;
    path.push_back(std::to_string(index));
    record(path, at_);
    scan_value(path);
    path.pop_back();
    skip_space();
    if (at_ < text_.size() && text_[at_] == ',') ++at_;
    skip_space();
    // Text the parser took but this scanner does not understand (a NUL
    // byte, say) must not stop it: always move on.
    if (at_ == before) ++at_;
  }
  ++at_;  // ']'
}

std::string JsonLocator::scan_string() {
  std::string out;
  ++at_;  // opening quote
  while (at_ < text_.size() && text_[at_] != '"') {
    if (text_[at_] == '\\' && at_ + 1 < text_.size()) {
      const char escaped = text_[++at_];
      switch (escaped) {
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'u':
          out += "\\u";
          break;  // rare in keys; kept verbatim
        default:
          out += escaped;
      }
    } else {
      out += text_[at_];
    }
    ++at_;
  }
  ++at_;  // closing quote
  return out;
}

void JsonLocator::scan_scalar() {
  while (at_ < text_.size()) {
    const char c = text_[at_];
    if (c == ',' || c == '}' || c == ']' || c == '/' || std::isspace(static_cast<unsigned char>(c))) return;
    ++at_;
  }
}

std::string describe_path(const JsonPath& path) {
  std::string out;
  for (const auto& step : path) {
    const bool index = !step.empty() && std::isdigit(static_cast<unsigned char>(step[0])) &&
                       step.find_first_not_of("0123456789") == std::string::npos;
    if (index) {
      out += "[" + step + "]";
    } else {
      out += (out.empty() ? "" : ".") + step;
    }
  }
  return out;
}

}  // namespace echolab
