#include "harness/sweep/expectations.h"

namespace echolab {
namespace {

std::string number_text(const Json& value) { return value.dump(); }

}  // namespace

std::vector<std::string> unmet_expectations(const Json& expect, const Json& metrics) {
  std::vector<std::string> unmet;
  for (const auto& [metric, wanted] : expect.items()) {
    const auto found = metrics.find(metric);
    const bool known = found != metrics.end() && found->is_number();
    const std::string got = found == metrics.end() ? "nothing" : number_text(*found);
    if (wanted.is_number()) {
      if (!known || found->get<double>() != wanted.get<double>()) {
        unmet.push_back(metric + ": expected " + number_text(wanted) + ", got " + got);
      }
      continue;
    }
    const bool above_min = !wanted.contains("min") || (known && found->get<double>() >= wanted["min"].get<double>());
    const bool below_max = !wanted.contains("max") || (known && found->get<double>() <= wanted["max"].get<double>());
    if (!known || !above_min || !below_max) {
      unmet.push_back(metric + ": expected " + (wanted.contains("min") ? ">= " + number_text(wanted["min"]) : "") +
                      (wanted.contains("min") && wanted.contains("max") ? " and " : "") +
                      (wanted.contains("max") ? "<= " + number_text(wanted["max"]) : "") + ", got " + got);
    }
  }
  return unmet;
}

}  // namespace echolab
