#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace echolab {

/// The type of a declared option.
enum class OptionType { kInt, kNumber, kString, kBool, kEnum, kStringList };

/// A value of an option: int, number, string (also enum), bool or list.
using OptionValue = std::variant<bool, long long, double, std::string, std::vector<std::string>>;

/// One option a plug-in (server model, workload) takes, declared once in its
/// registry row; the harness derives config keys, validation, defaults and
/// help from it. Immutable, any thread.
struct OptionSpec {
  std::string_view key;  // under the plug-in's section: "exclusive" -> server.exclusive
  OptionType type;
  OptionValue default_value;
  std::string_view help;
  std::vector<std::string> allowed = {};  // kEnum values
  double min = 0, max = 0;                // kInt / kNumber range (when max > min)
};

/// The values of one plug-in's own options, by key; a plain value filled by
/// the harness from a resolved config (every declared option is present).
class OptionValues {
 public:
  void set(std::string key, OptionValue value) { values_[std::move(key)] = std::move(value); }
  bool has(const std::string& key) const { return values_.count(key) > 0; }

  long long integer(const std::string& key) const { return get<long long>(key); }
  double number(const std::string& key) const { return get<double>(key); }
  bool flag(const std::string& key) const { return get<bool>(key); }
  const std::string& text(const std::string& key) const { return get<std::string>(key); }
  const std::vector<std::string>& list(const std::string& key) const { return get<std::vector<std::string>>(key); }

 private:
  template <typename T>
  const T& get(const std::string& key) const {
    auto it = values_.find(key);
    if (it == values_.end()) throw std::logic_error("option '" + key + "' was not declared or not filled in");
    if (const T* value = std::get_if<T>(&it->second)) return *value;
    throw std::logic_error("option '" + key + "' read with the wrong type");
  }

  std::map<std::string, OptionValue> values_;
};

}  // namespace echolab
