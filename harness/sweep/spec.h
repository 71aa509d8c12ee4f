#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/topology.h"
#include "harness/config/config_keys.h"
#include "harness/remote/hosts.h"
#include "harness/sweep/json_locator.h"

namespace echolab {

/// Seconds a trial takes beyond warm-up + duration (start, stop, process).
constexpr double kTrialOverheadS = 0.5;

/// A bad spec; `what()` is one line "FILE:LINE:COLUMN: KEY.PATH: problem".
class SpecError : public ConfigError {
 public:
  using ConfigError::ConfigError;
};

/// One expanded point of a spec: a fully resolved trial config; a plain value.
struct SpecPoint {
  int number = 0;  // 1-based position in the expanded spec (before --filter)
  std::string label;
  Json config;  // every key resolved: defaults <- matrix / case values
  Json varied;  // the spec's varied keys -> this point's values
  std::string config_id;
  /// A case's annotations, copied into its trial records: "hypothesis"
  /// (text), "baseline" (label of the like-for-like case), "mechanism"
  /// (the metric that shows it), "expect" ({metric: value or {min, max}}: the
  /// precondition of a valid test), "predicts" ({metric: "higher"|"lower"}).
  Json notes = Json::object();
  /// Where each key this point takes from the spec is written (matrix
  /// entry, case member or defaults), for error messages.
  std::map<std::string, JsonPath> sources;

  /// `label` when set, else "model=single_thread, threads=4" from `varied`.
  std::string display_name() const;
  /// Planned seconds of one trial: warm-up + duration + start/stop overhead.
  double estimated_seconds() const;
};

/// Owns one experiment spec (docs/DESIGN.md "Experiment spec"): its text as
/// given, its validated contents and its expanded points. Built by the main
/// thread, then read-only.
class Spec {
 public:
  /// Reads and validates `path`; throws SpecError naming file:line:column.
  static Spec load(const std::string& path);
  /// Validates `text`; `file` is the name used in messages.
  static Spec parse(const std::string& text, const std::string& file);

  /// Plans the placement of every point on `topology` (plan_trial), in
  /// point order; throws SpecError at the cpus key of the first point whose
  /// location the topology lacks.
  std::vector<Json> plan_placements(const Topology& topology) const;

  const std::string& file() const { return file_; }
  const std::string& text() const { return text_; }
  const std::string& name() const { return name_; }
  const std::string& description() const { return description_; }
  int repetitions() const { return repetitions_; }
  /// `echolab run --repetitions N`: fewer (or more) repetitions of the same
  /// points; recorded in meta.json so --resume applies it again.
  void override_repetitions(int repetitions) { repetitions_ = repetitions; }
  const std::vector<SpecPoint>& points() const { return points_; }
  /// Where the trials run (the spec's "hosts", default all local).
  const HostsConfig& hosts() const { return hosts_; }
  /// Sets the hosts (the spec's own, or `--hosts.*` flags over them) and
  /// checks the points against them; throws SpecError.
  void use_hosts(const HostsConfig& hosts);
  /// Keys the matrix and cases set, matrix keys first, in order written.
  const std::vector<std::string>& varied_keys() const { return varied_keys_; }
  /// Things worth saying that do not stop a run (an exclude matching nothing).
  const std::vector<std::string>& warnings() const { return warnings_; }

  /// Throws SpecError "FILE:LINE:COLUMN: PATH: problem", located at the key
  /// of `where` (or at its value when `at_value`).
  [[noreturn]] void fail(const JsonPath& where, const std::string& problem, bool at_value = false) const;

 private:
  /// A dotted key with its checked value and where it is written.
  struct Setting {
    std::string key;
    Json value;
    JsonPath source;
  };
  /// One point before defaults are applied: a label and its settings.
  struct RawPoint {
    std::string label;
    Json notes = Json::object();
    std::vector<Setting> settings;
    JsonPath origin;  // {"matrix"} or {"cases", "i"}: named when it clashes
  };

  Spec(std::string text, std::string file);
  void read_top_level();
  void read_defaults(const Json& defaults);
  void read_repetitions(const Json& value, const JsonPath& where);
  std::vector<RawPoint> read_matrix(const Json& matrix);
  /// Reads a case member that is an annotation, not a config key; false
  /// when `key` is not one.
  bool read_case_note(const std::string& key, const Json& value, const JsonPath& member, RawPoint& point);
  /// `member`.`metric`, after checking that `metric` names a trial metric.
  JsonPath trial_metric_member(const JsonPath& member, const std::string& metric) const;
  /// Every case's "baseline" names the label of another case.
  void check_baselines(const std::vector<RawPoint>& cases);
  std::vector<RawPoint> read_cases(const Json& cases);
  std::vector<std::vector<Setting>> read_excludes(const Json& excludes);
  /// Checks one dotted key and its JSON value (types strictly: "4" is not
  /// an integer in a spec); `where` locates the member.
  Setting read_setting(const std::string& key, const Json& value, const JsonPath& where) const;
  const KeySpec& known_key(const std::string& key, const JsonPath& where) const;
  void expand(std::vector<RawPoint> raw, const std::vector<std::vector<Setting>>& excludes, const JsonPath& where);
  void check_point(const SpecPoint& point) const;
  /// A plug-in option set in "defaults" that no point's model or workload
  /// takes would measure nothing: an error naming the key, the plug-ins that
  /// take it and those in the spec. (One that some points take is fine.)
  void check_defaults_apply() const;
  /// Where a key of `point` comes from: the spec member, else "defaults".
  JsonPath source_of(const SpecPoint& point, const std::string& key) const;

  std::string text_;
  std::string file_;
  Json document_;
  std::unique_ptr<JsonLocator> locator_;
  std::string name_;
  std::string description_;
  int repetitions_ = 1;
  HostsConfig hosts_;
  Json defaults_;  // default_config() with the spec's defaults applied
  std::map<std::string, JsonPath> default_sources_;
  std::vector<SpecPoint> points_;
  std::vector<std::string> varied_keys_;
  std::vector<std::string> warnings_;
};

/// "" when `given` expands to the same trials as `recorded` (a run's own
/// spec.json, for --resume), else what differs, for one line.
std::string spec_difference(const Spec& given, const Spec& recorded);

/// Stable id of a resolved config: FNV-1a 64 (16 hex digits) of its JSON
/// with keys sorted, so key order and run never change it.
std::string config_id_of(const Json& config);

/// A ConfigError's message without its leading "KEY: " (the spec error
/// names the key by its place in the file instead).
std::string without_key_prefix(const std::string& message, const std::string& key);

}  // namespace echolab
