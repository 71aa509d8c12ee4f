#include "harness/sweep/point_filter.h"

#include <algorithm>

#include "harness/cli/cli_args.h"

namespace echolab {

PointFilter::PointFilter(const std::vector<std::string>& expressions) {
  for (const auto& expression : expressions) {
    const auto equals = expression.find('=');
    if (equals == std::string::npos || equals == 0) {
      throw UsageError("echolab: --filter " + expression + ": expected KEY=VALUE, e.g. server.threads=4");
    }
    const std::string name = expression.substr(0, equals);
    const KeySpec* key = find_key(name);
    if (!key) key = find_alias(name);
    if (!key) {
      const std::string hint = nearest_key(name);
      throw UsageError("echolab: --filter " + expression + ": unknown key '" + name + "'" +
                       (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
    }
    Json value;
    try {
      value = check_value(*key, Json(expression.substr(equals + 1)));
    } catch (const ConfigError& error) {
      throw UsageError("echolab: --filter " + expression + ": " + error.what());
    }
    auto same_key = std::find_if(conditions_.begin(), conditions_.end(),
                                 [&](const auto& condition) { return condition.first == key->path; });
    if (same_key == conditions_.end()) {
      conditions_.push_back({key->path, {value}});
    } else {
      same_key->second.push_back(value);
    }
  }
}

bool PointFilter::matches(const Json& config) const {
  for (const auto& [key, values] : conditions_) {
    if (std::find(values.begin(), values.end(), get_key(config, key)) == values.end()) return false;
  }
  return true;
}

std::string PointFilter::describe() const {
  std::string out;
  for (const auto& [key, values] : conditions_) {
    std::string alternatives;
    for (const auto& value : values) {
      alternatives += (alternatives.empty() ? "" : "|") + (value.is_string() ? value.get<std::string>() : value.dump());
    }
    out += (out.empty() ? "" : " and ") + key + "=" + alternatives;
  }
  return out;
}

std::vector<std::string> take_filter_args(std::vector<std::string>& args) {
  std::vector<std::string> filters;
  std::vector<std::string> rest;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--filter") {
      if (i + 1 >= args.size()) throw UsageError("echolab: option --filter needs KEY=VALUE");
      filters.push_back(args[++i]);
    } else if (args[i].rfind("--filter=", 0) == 0) {
      filters.push_back(args[i].substr(9));
    } else {
      rest.push_back(args[i]);
    }
  }
  args = std::move(rest);
  return filters;
}

}  // namespace echolab
