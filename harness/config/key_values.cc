// Checking, converting, setting and finding config keys' values; the key
// table itself is in config_keys.cc.
#include <algorithm>
#include <cmath>
#include <sstream>

#include "core/printable.h"
#include "harness/config/config_keys.h"

namespace echolab {
namespace {

// A JSON value as an error message shows it: one line, invalid UTF-8 and
// control characters escaped (never an exception while reporting one).
std::string shown(const Json& value) { return printable(value.dump(-1, ' ', false, Json::error_handler_t::replace)); }

}  // namespace
namespace {

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}
std::string type_name(KeyType type) {
  switch (type) {
    case KeyType::kInt:
      return "integer";
    case KeyType::kNumber:
      return "number";
    case KeyType::kString:
      return "string";
    case KeyType::kBool:
      return "boolean";
    case KeyType::kEnum:
      return "one of";
    case KeyType::kStringList:
      return "list of strings";
  }
  return "?";
}

// "64K" -> 65536; plain numbers pass through. Returns false if malformed.
bool parse_number_text(const std::string& text, bool integer, double& out) {
  if (text.empty()) return false;
  std::string digits = text;
  double scale = 1;
  char suffix = static_cast<char>(std::toupper(static_cast<unsigned char>(digits.back())));
  if (integer && (suffix == 'K' || suffix == 'M' || suffix == 'G')) {
    scale = suffix == 'K' ? 1024.0 : suffix == 'M' ? 1048576.0 : 1073741824.0;
    digits.pop_back();
  }
  std::istringstream in(digits);
  double value;
  if (!(in >> value) || !in.eof()) return false;
  out = value * scale;
  return !integer || std::floor(out) == out;
}
std::string describe_range(const KeySpec& key) {
  std::ostringstream out;
  if (key.type == KeyType::kInt)
    out << static_cast<long long>(key.min) << ".." << static_cast<long long>(key.max);
  else
    out << key.min << ".." << key.max;
  return out.str();
}

}  // namespace

std::string join_list(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

std::string nearest_key(const std::string& wrong) {
  std::string best;
  size_t best_distance = SIZE_MAX;
  for (const auto& key : config_keys()) {
    for (const std::string& candidate : {key.path, key.alias}) {
      if (candidate.empty()) continue;
      // Compare against the last path segment too: "server.thread" ~ "threads".
      size_t distance = edit_distance(wrong, candidate);
      if (distance < best_distance) {
        best_distance = distance;
        best = candidate;
      }
    }
  }
  return best_distance <= std::max<size_t>(2, wrong.size() / 3) ? best : "";
}

std::string nearest_word(const std::string& wrong, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = SIZE_MAX;
  for (const auto& candidate : candidates) {
    size_t distance = edit_distance(wrong, candidate);
    if (distance < best_distance) {
      best_distance = distance;
      best = candidate;
    }
  }
  return best_distance <= std::max<size_t>(2, wrong.size() / 3) ? best : "";
}
Json check_value(const KeySpec& key, const Json& value) {
  const std::string where = key.path + ": ";
  switch (key.type) {
    case KeyType::kInt:
    case KeyType::kNumber: {
      bool integer = key.type == KeyType::kInt;
      double number = 0;
      if (value.is_string()) {
        if (!parse_number_text(value.get<std::string>(), integer, number)) {
          throw ConfigError(where + "'" + printable(value.get<std::string>()) + "' is not " +
                            (integer ? "an integer" : "a number"));
        }
      } else if (value.is_number() && !value.is_boolean()) {
        number = value.get<double>();
        if (integer && std::floor(number) != number) throw ConfigError(where + shown(value) + " is not an integer");
      } else {
        throw ConfigError(where + "expected " + type_name(key.type) + ", got " + shown(value));
      }
      if (key.max > key.min && (number < key.min || number > key.max)) {
        throw ConfigError(where + Json(number).dump() + " is out of range " + describe_range(key));
      }
      return integer ? Json(static_cast<long long>(number)) : Json(number);
    }
    case KeyType::kBool:
      if (value.is_boolean()) return value;
      if (value.is_string()) {
        auto text = value.get<std::string>();
        if (text == "true" || text == "1" || text == "yes" || text == "on") return true;
        if (text == "false" || text == "0" || text == "no" || text == "off") return false;
      }
      throw ConfigError(where + "expected true or false, got " + shown(value));
    case KeyType::kString:
      if (!value.is_string()) throw ConfigError(where + "expected a string, got " + shown(value));
      return value;
    case KeyType::kEnum: {
      if (!value.is_string())
        throw ConfigError(where + "expected one of " + join_list(key.allowed, ", ") + ", got " + shown(value));
      auto text = value.get<std::string>();
      if (std::find(key.allowed.begin(), key.allowed.end(), text) == key.allowed.end()) {
        throw ConfigError(where + "unknown value '" + printable(text) + "' (valid: " + join_list(key.allowed, ", ") +
                          ")");
      }
      return value;
    }
    case KeyType::kStringList: {
      if (value.is_string()) {
        // CLI text: split on spaces.
        Json list = Json::array();
        std::istringstream in(value.get<std::string>());
        std::string word;
        while (in >> word) list.push_back(word);
        return list;
      }
      if (!value.is_array()) throw ConfigError(where + "expected a list of strings, got " + shown(value));
      for (const auto& item : value) {
        if (!item.is_string()) throw ConfigError(where + "expected a list of strings, got " + shown(value));
      }
      return value;
    }
  }
  return value;
}
void set_key(Json& config, const std::string& path, const Json& value) {
  const KeySpec* key = find_key(path);
  if (!key) {
    std::string hint = nearest_key(path);
    throw ConfigError("unknown key '" + printable(path) + "'" +
                      (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
  }
  auto dot = path.find('.');
  config[path.substr(0, dot)][path.substr(dot + 1)] = check_value(*key, value);
}

Json get_key(const Json& config, const std::string& path) {
  auto dot = path.find('.');
  return config.at(path.substr(0, dot)).at(path.substr(dot + 1));
}
}  // namespace echolab
