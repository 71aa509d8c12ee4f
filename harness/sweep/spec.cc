#include "harness/sweep/spec.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/printable.h"
#include "harness/config/placement.h"
#include "harness/config/trial_config.h"
#include "harness/trial/metric_catalogue.h"
#include "harness/trial/trial_runner.h"
#include "models/registry.h"

namespace echolab {
namespace {

const std::vector<std::string> kTopLevelKeys = {"name",   "description", "defaults", "hosts",
                                                "matrix", "cases",       "exclude",  "repetitions"};
const std::vector<std::string> kSections = {"server", "load", "timing"};

std::string value_text(const Json& value) { return value.is_string() ? value.get<std::string>() : value.dump(); }

std::string type_word(const Json& value) {
  if (value.is_object()) return "an object";
  if (value.is_array()) return "a list";
  if (value.is_string()) return "a string";
  if (value.is_boolean()) return "a boolean";
  if (value.is_null()) return "null";
  return "a number";
}

// The key path a suggestion stands for (nearest_key may return an alias).
std::string suggested_path(const std::string& wrong) {
  std::string hint = nearest_key(wrong);
  if (const KeySpec* by_alias = find_alias(hint); by_alias && !find_key(hint)) hint = by_alias->path;
  return hint;
}

std::string did_you_mean(const std::string& hint) { return hint.empty() ? "" : " (did you mean '" + hint + "'?)"; }

}  // namespace

// "server.threads: 0 is out of range 1..1024" -> "0 is out of range 1..1024".
std::string without_key_prefix(const std::string& message, const std::string& key) {
  const std::string prefix = key + ": ";
  return message.rfind(prefix, 0) == 0 ? message.substr(prefix.size()) : message;
}

std::string SpecPoint::display_name() const {
  if (!label.empty()) return label;
  std::string out;
  for (const auto& [key, value] : varied.items()) {
    const auto dot = key.find('.');
    const std::string shown = key.substr(0, dot) == "timing" ? key : key.substr(dot + 1);
    out += (out.empty() ? "" : ", ") + shown + "=" + value_text(value);
  }
  if (!out.empty()) return out;
  // A point known only from a (possibly foreign) trial record may lack keys.
  const Json* model = config.contains("server") ? &config["server"] : nullptr;
  if (model && model->is_object() && model->contains("model") && (*model)["model"].is_string()) {
    return (*model)["model"].get<std::string>();
  }
  return config_id;
}

double SpecPoint::estimated_seconds() const {
  return get_key(config, "timing.warmup_s").get<double>() + get_key(config, "timing.duration_s").get<double>() +
         kTrialOverheadS;
}

std::string config_id_of(const Json& config) {
  const std::string canonical = nlohmann::json::parse(config.dump()).dump();  // std::map: keys sorted
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : canonical) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
  return hex;
}

Spec::Spec(std::string text, std::string file) : text_(std::move(text)), file_(std::move(file)) {}

Spec Spec::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw SpecError(path + ": cannot read the spec file");
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str(), path);
}

Spec Spec::parse(const std::string& text, const std::string& file) {
  Spec spec(text, file);
  try {
    spec.document_ = Json::parse(text, nullptr, true, /*ignore_comments=*/true);
  } catch (const Json::parse_error& error) {
    std::string message = error.what();
    if (auto colon = message.find(": ", message.find("parse error")); colon != std::string::npos) {
      message = message.substr(colon + 2);
    }
    const TextPosition at = JsonLocator::position_of_offset(text, error.byte > 0 ? error.byte - 1 : 0);
    throw SpecError(file + ":" + std::to_string(at.line) + ":" + std::to_string(at.column) +
                    ": invalid JSON: " + message);
  } catch (const Json::exception& error) {  // out_of_range: a number too large for a double
    std::string message = error.what();
    if (auto bracket = message.find("] "); bracket != std::string::npos) message = message.substr(bracket + 2);
    throw SpecError(file + ": invalid JSON: " + printable(message));
  }
  spec.locator_ = std::make_unique<JsonLocator>(text);
  if (!spec.locator_->duplicate_keys().empty()) {
    spec.fail(spec.locator_->duplicate_keys().front(), "key written twice (JSON keeps only one of them)");
  }
  if (!spec.document_.is_object()) spec.fail({}, "a spec is a JSON object, got " + type_word(spec.document_), true);
  spec.read_top_level();
  return spec;
}

void Spec::fail(const JsonPath& where, const std::string& problem, bool at_value) const {
  const TextPosition at = !locator_  ? TextPosition{}
                          : at_value ? locator_->value_position(where)
                                     : locator_->key_position(where);
  std::string message = file_ + ":" + std::to_string(at.line) + ":" + std::to_string(at.column) + ": ";
  if (!where.empty()) message += describe_path(where) + ": ";
  // Keys and values are the user's text: keep the message one line.
  throw SpecError(printable(message + problem));
}

void Spec::read_top_level() {
  for (const auto& [key, value] : document_.items()) {
    if (std::find(kTopLevelKeys.begin(), kTopLevelKeys.end(), key) == kTopLevelKeys.end()) {
      const KeySpec* config_key = find_key(key) ? find_key(key) : find_alias(key);
      if (config_key) fail({key}, "config keys go under defaults (here: defaults." + config_key->path + ")");
      fail({key}, "unknown key" + did_you_mean(nearest_word(key, kTopLevelKeys)));
    }
  }
  // The name is a folder under results/: letters, digits, '.', '_', '-',
  // not starting with '.' or '-' (no "..", no option-like names).
  auto names_a_folder = [](const std::string& name) {
    return !name.empty() && name[0] != '.' && name[0] != '-' && name != "latest" &&
           name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") ==
               std::string::npos;
  };
  const std::string rule = "cannot name a results directory (use letters, digits, '.', '_', '-')";
  if (document_.contains("name")) {
    const Json& name = document_["name"];
    if (!name.is_string()) fail({"name"}, "expected a string, got " + type_word(name), true);
    name_ = name.get<std::string>();
    if (!names_a_folder(name_)) fail({"name"}, "'" + name_ + "' " + rule, true);
  } else {
    name_ = std::filesystem::path(file_).stem().string();
    if (!names_a_folder(name_)) {
      fail({}, "the spec has no \"name\" and its file name '" + name_ + "' " + rule + ": give it a \"name\"");
    }
  }
  if (document_.contains("description")) {
    const Json& description = document_["description"];
    if (!description.is_string()) fail({"description"}, "expected a string, got " + type_word(description), true);
    description_ = description.get<std::string>();
  }
  if (document_.contains("hosts")) {
    try {
      hosts_ = HostsConfig::from_json(document_["hosts"]);
    } catch (const std::invalid_argument& error) {
      fail({"hosts"}, error.what(), true);
    }
  }
  defaults_ = default_config();
  if (document_.contains("defaults")) read_defaults(document_["defaults"]);
  if (document_.contains("repetitions")) {
    if (document_.contains("defaults") && document_["defaults"].contains("repetitions")) {
      fail({"repetitions"}, "repetitions is also set in defaults; keep one");
    }
    read_repetitions(document_["repetitions"], {"repetitions"});
  }
  std::vector<RawPoint> raw;
  JsonPath points_from = {"matrix"};
  if (document_.contains("matrix")) raw = read_matrix(document_["matrix"]);
  if (document_.contains("cases")) {
    std::vector<RawPoint> cases = read_cases(document_["cases"]);
    if (!document_.contains("matrix") || document_["matrix"].empty()) {
      raw.clear();  // no matrix: the cases are the points
      points_from = {"cases"};
    }
    raw.insert(raw.end(), cases.begin(), cases.end());
  }
  if (raw.empty()) raw.push_back({});  // neither: one point, the defaults
  std::vector<std::vector<Setting>> excludes;
  if (document_.contains("exclude")) excludes = read_excludes(document_["exclude"]);
  expand(std::move(raw), excludes, document_.contains("exclude") ? JsonPath{"exclude"} : points_from);
}

void Spec::read_defaults(const Json& defaults) {
  if (!defaults.is_object()) fail({"defaults"}, "expected an object, got " + type_word(defaults), true);
  for (const auto& [section, members] : defaults.items()) {
    if (section == "repetitions") {
      read_repetitions(members, {"defaults", "repetitions"});
      continue;
    }
    if (std::find(kSections.begin(), kSections.end(), section) == kSections.end()) {
      std::string hint = nearest_word(section, {"server", "load", "timing", "repetitions"});
      if (hint.empty() && section.find('.') != std::string::npos) hint = suggested_path(section);
      fail({"defaults", section}, "unknown key" + did_you_mean(hint));
    }
    if (!members.is_object()) fail({"defaults", section}, "expected an object, got " + type_word(members), true);
    for (const auto& [member, value] : members.items()) {
      JsonPath where = {"defaults", section, member};
      Setting setting = read_setting(section + "." + member, value, where);
      set_key(defaults_, setting.key, setting.value);
      default_sources_[setting.key] = where;
    }
  }
}

void Spec::read_repetitions(const Json& value, const JsonPath& where) {
  if (!value.is_number_integer()) fail(where, "expected an integer, got " + value.dump(), true);
  if (value.get<long long>() < 1 || value.get<long long>() > 10000) {
    fail(where, value.dump() + " is out of range 1..10000", true);
  }
  repetitions_ = value.get<int>();
}

const KeySpec& Spec::known_key(const std::string& key, const JsonPath& where) const {
  const KeySpec* spec = find_key(key);
  if (!spec) {
    std::string hint = suggested_path(key);
    if (hint.empty() && key.find('.') == std::string::npos) {
      for (const auto& section : kSections) {
        if (find_key(section + "." + key)) hint = section + "." + key;
      }
    }
    fail(where, "unknown key" + did_you_mean(hint));
  }
  return *spec;
}

Spec::Setting Spec::read_setting(const std::string& key, const Json& value, const JsonPath& where) const {
  const KeySpec& spec = known_key(key, where);
  const bool textual = spec.type == KeyType::kString || spec.type == KeyType::kEnum;
  if (value.is_string() && !textual && spec.type != KeyType::kStringList) {
    const char* expected = spec.type == KeyType::kBool  ? "true or false"
                           : spec.type == KeyType::kInt ? "an integer"
                                                        : "a number";
    fail(where, std::string("expected ") + expected + ", got " + value.dump(), true);
  }
  if (value.is_string() && spec.type == KeyType::kStringList) {
    fail(where, "expected a list of strings, got " + value.dump(), true);
  }
  if (value.is_string() && spec.type == KeyType::kEnum &&
      std::find(spec.allowed.begin(), spec.allowed.end(), value.get<std::string>()) == spec.allowed.end()) {
    std::string valid;
    for (const auto& allowed : spec.allowed) valid += (valid.empty() ? "" : ", ") + allowed;
    fail(where,
         std::string(key == "server.model" ? "unknown model '" : "unknown value '") + value.get<std::string>() + "'" +
             did_you_mean(nearest_word(value.get<std::string>(), spec.allowed)) + " (valid: " + valid + ")",
         true);
  }
  try {
    return {key, check_value(spec, value), where};
  } catch (const ConfigError& error) {
    fail(where, without_key_prefix(error.what(), key), true);
  }
}

std::vector<Spec::RawPoint> Spec::read_matrix(const Json& matrix) {
  if (!matrix.is_object()) fail({"matrix"}, "expected an object {\"KEY\": [values]}, got " + type_word(matrix), true);
  std::vector<RawPoint> points = {RawPoint{"", Json::object(), {}, {"matrix"}}};
  for (const auto& [key, values] : matrix.items()) {
    const JsonPath where = {"matrix", key};
    known_key(key, where);
    if (!values.is_array()) fail(where, "expected a list of values, got " + type_word(values), true);
    if (values.empty()) fail(where, "empty list: the matrix would have zero points", true);
    std::vector<Setting> settings;
    for (size_t i = 0; i < values.size(); ++i) {
      JsonPath element = {"matrix", key, std::to_string(i)};
      settings.push_back(read_setting(key, values[i], element));
      for (size_t j = 0; j < i; ++j) {
        if (settings[j].value == settings[i].value) fail(element, "value " + values[i].dump() + " listed twice", true);
      }
    }
    std::vector<RawPoint> product;  // earlier keys vary slowest
    for (const auto& point : points) {
      for (const auto& setting : settings) {
        product.push_back(point);
        product.back().settings.push_back(setting);
      }
    }
    points = std::move(product);
    varied_keys_.push_back(key);
  }
  return points;
}

std::vector<Spec::RawPoint> Spec::read_cases(const Json& cases) {
  if (!cases.is_array()) fail({"cases"}, "expected a list of objects, got " + type_word(cases), true);
  std::vector<RawPoint> points;
  for (size_t i = 0; i < cases.size(); ++i) {
    const JsonPath where = {"cases", std::to_string(i)};
    if (!cases[i].is_object()) fail(where, "expected an object, got " + type_word(cases[i]), true);
    RawPoint point;
    point.origin = where;
    for (const auto& [key, value] : cases[i].items()) {
      JsonPath member = where;
      member.push_back(key);
      if (key == "label") {
        if (!value.is_string()) fail(member, "expected a string, got " + type_word(value), true);
        point.label = value.get<std::string>();
        continue;
      }
      if (read_case_note(key, value, member, point)) continue;
      point.settings.push_back(read_setting(key, value, member));
      if (std::find(varied_keys_.begin(), varied_keys_.end(), key) == varied_keys_.end()) varied_keys_.push_back(key);
    }
    points.push_back(std::move(point));
  }
  check_baselines(points);
  return points;
}

JsonPath Spec::trial_metric_member(const JsonPath& member, const std::string& metric) const {
  JsonPath at = member;
  at.push_back(metric);
  const MetricInfo* info = find_metric(metric);
  if (!info || info->scope != MetricScope::kTrial) fail(at, "not a trial metric (`echolab help metrics`)", true);
  return at;
}

bool Spec::read_case_note(const std::string& key, const Json& value, const JsonPath& member, RawPoint& point) {
  if (key == "hypothesis" || key == "baseline") {
    if (!value.is_string()) fail(member, "expected a string, got " + type_word(value), true);
  } else if (key == "mechanism") {
    if (!value.is_string() || !find_metric(value.get<std::string>())) {
      fail(member, "expected a metric name (`echolab help metrics`), got " + value.dump(), true);
    }
  } else if (key == "predicts") {
    if (!value.is_object() || value.empty())
      fail(member, "expected an object {METRIC: \"higher\" or \"lower\"}, got " + value.dump(), true);
    for (const auto& [metric, direction] : value.items()) {
      const JsonPath at = trial_metric_member(member, metric);
      if (direction != "higher" && direction != "lower") {
        fail(at, "expected \"higher\" or \"lower\" (against the baseline), got " + direction.dump(), true);
      }
    }
  } else if (key == "expect") {
    if (!value.is_object() || value.empty())
      fail(member, "expected an object {METRIC: VALUE}, got " + value.dump(), true);
    for (const auto& [metric, wanted] : value.items()) {
      const JsonPath at = trial_metric_member(member, metric);
      const MetricInfo* info = find_metric(metric);
      const bool range = wanted.is_object() && !wanted.empty() &&
                         std::all_of(wanted.items().begin(), wanted.items().end(), [](const auto& item) {
                           return (item.key() == "min" || item.key() == "max") && item.value().is_number();
                         });
      const bool exact = wanted.is_number() && !wanted.is_boolean();
      if (!exact && !range) fail(at, "expected a number or {\"min\": X, \"max\": Y}, got " + wanted.dump(), true);
      // An exact value only for counts: a measured ratio never equals a literal.
      const bool counted = info->unit == "count" || info->unit == "threads" || info->unit == "PUs";
      if (exact && !counted) fail(at, "an exact value suits counts only; give {\"min\": X, \"max\": Y}", true);
      if (range && wanted.contains("min") && wanted.contains("max") && wanted["min"] > wanted["max"]) {
        fail(at, "min is above max", true);
      }
    }
  } else {
    return false;
  }
  point.notes[key] = value;
  return true;
}

void Spec::check_baselines(const std::vector<RawPoint>& cases) {
  std::set<std::string> labels;
  bool any_baseline = false;
  for (const auto& point : cases) any_baseline = any_baseline || point.notes.contains("baseline");
  for (size_t i = 0; i < cases.size(); ++i) {
    // A baseline names a case by label: labels must then be unique.
    if (any_baseline && !cases[i].label.empty() && !labels.insert(cases[i].label).second) {
      fail({"cases", std::to_string(i), "label"},
           "'" + cases[i].label + "' labels two cases; baselines need unique labels", true);
    }
  }
  for (size_t i = 0; i < cases.size(); ++i) {
    if (cases[i].notes.contains("predicts") && !cases[i].notes.contains("baseline")) {
      fail({"cases", std::to_string(i), "predicts"}, "a prediction is against a baseline: give the case a \"baseline\"",
           true);
    }
    if (!cases[i].notes.contains("baseline")) continue;
    const std::string baseline = cases[i].notes["baseline"].get<std::string>();
    if (baseline == cases[i].label) {
      fail({"cases", std::to_string(i), "baseline"}, "a case cannot be its own baseline", true);
    }
    if (!labels.count(baseline)) {
      std::vector<std::string> known(labels.begin(), labels.end());
      const std::string hint = nearest_word(baseline, known);
      fail({"cases", std::to_string(i), "baseline"},
           "no case is labelled '" + baseline + "'" + (hint.empty() ? "" : " (did you mean '" + hint + "'?)"), true);
    }
  }
}

std::vector<std::vector<Spec::Setting>> Spec::read_excludes(const Json& excludes) {
  if (!excludes.is_array()) fail({"exclude"}, "expected a list of objects, got " + type_word(excludes), true);
  std::vector<std::vector<Setting>> out;
  for (size_t i = 0; i < excludes.size(); ++i) {
    const JsonPath where = {"exclude", std::to_string(i)};
    if (!excludes[i].is_object() || excludes[i].empty()) {
      fail(where, "expected an object of KEY: value to match, got " + excludes[i].dump(), true);
    }
    std::vector<Setting> match;
    for (const auto& [key, value] : excludes[i].items()) {
      JsonPath member = where;
      member.push_back(key);
      match.push_back(read_setting(key, value, member));
    }
    out.push_back(std::move(match));
  }
  return out;
}

}  // namespace echolab

namespace echolab {

void Spec::expand(std::vector<RawPoint> raw, const std::vector<std::vector<Setting>>& excludes, const JsonPath& where) {
  std::vector<bool> exclude_used(excludes.size(), false);
  for (auto& raw_point : raw) {
    SpecPoint point;
    point.label = raw_point.label;
    point.notes = raw_point.notes;
    point.config = defaults_;
    for (const auto& setting : raw_point.settings) {
      set_key(point.config, setting.key, setting.value);
      point.sources[setting.key] = setting.source;
    }
    bool excluded = false;
    for (size_t i = 0; i < excludes.size(); ++i) {
      bool matches = true;
      for (const auto& setting : excludes[i]) matches = matches && get_key(point.config, setting.key) == setting.value;
      if (matches) exclude_used[i] = excluded = true;
    }
    if (excluded) continue;
    point.number = static_cast<int>(points_.size()) + 1;
    point.varied = Json::object();
    for (const auto& key : varied_keys_) point.varied[key] = get_key(point.config, key);
    point.config_id = config_id_of(point.config);
    check_point(point);
    for (const auto& earlier : points_) {
      if (earlier.config_id == point.config_id) {
        fail(raw_point.origin, "point " + std::to_string(point.number) + " (" + point.display_name() +
                                   ") has the same configuration as point " + std::to_string(earlier.number) + " (" +
                                   earlier.display_name() + "); remove or exclude one");
      }
    }
    points_.push_back(std::move(point));
  }
  if (points_.empty()) fail(where, "no points: every point of the matrix and cases is excluded");
  for (size_t i = 0; i < excludes.size(); ++i) {
    if (!exclude_used[i]) {
      const TextPosition at = locator_->key_position({"exclude", std::to_string(i)});
      warnings_.push_back(file_ + ":" + std::to_string(at.line) + ":" + std::to_string(at.column) + ": exclude[" +
                          std::to_string(i) + "] matches no point");
    }
  }
  check_defaults_apply();
}

}  // namespace echolab
