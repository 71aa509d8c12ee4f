#pragma once

#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace echolab {

using Json = nlohmann::ordered_json;

enum class KeyType { kInt, kNumber, kString, kBool, kEnum, kStringList };

/// One configurable key: the single declaration that drives CLI options,
/// spec validation, help text and error messages. Immutable, any thread.
struct KeySpec {
  std::string path;  // dotted: "server.threads"
  KeyType type;
  Json default_value;
  std::string help;
  std::string alias = {};                 // short CLI option without "--"
  std::vector<std::string> allowed = {};  // kEnum values
  double min = 0, max = 0;                // kInt / kNumber range (if max > min)
  /// A plug-in's own option: the plug-ins (models, workloads) that take it,
  /// and the key that chooses the plug-in ("server.model", "load.workload").
  std::vector<std::string> plugins = {};
  std::string chosen_by = {};
};

/// A key or value is wrong; `what()` names the key and the problem.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Every key, in display order.
const std::vector<KeySpec>& config_keys();
const KeySpec* find_key(const std::string& path);
/// The key whose CLI alias is `alias` ("threads" for --threads), if any.
const KeySpec* find_alias(const std::string& alias);
/// The closest key path or alias to a misspelt one, for "did you mean".
std::string nearest_key(const std::string& wrong);

/// The candidate closest to a misspelt word (same distance rule as
/// nearest_key), or "" when none is close; for spec sections and flags.
std::string nearest_word(const std::string& wrong, const std::vector<std::string>& candidates);

/// A nested config object {"server":{...},"load":{...},"timing":{...}}
/// holding every key's default.
Json default_config();

/// Checks `value` against the key's type and range, converting CLI text
/// ("4", "64K", "true") when `value` is a string and the key is not.
/// Returns the typed value; throws ConfigError naming the key.
Json check_value(const KeySpec& key, const Json& value);
/// Sets a dotted key in a nested config after check_value.
void set_key(Json& config, const std::string& path, const Json& value);
Json get_key(const Json& config, const std::string& path);

/// Errors when a key set explicitly is an option the chosen model (or
/// workload) does not take, naming it and its valid options.
void check_model_options(const Json& config, const std::set<std::string>& explicit_keys);

/// `items` joined by `separator` ("a, b, c"), for messages and help.
std::string join_list(const std::vector<std::string>& items, const std::string& separator);

/// Human-readable list of keys (for --help).
std::string describe_keys();

}  // namespace echolab
