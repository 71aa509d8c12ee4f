#include "harness/trial/trial_result.h"

#include <stdexcept>

namespace echolab {
namespace {

const char* const kFixedFields[] = {"schema",    "config",  "status", "error",
                                    "placement", "metrics", "series", "histograms"};

bool is_fixed_field(const std::string& key) {
  for (const char* field : kFixedFields) {
    if (key == field) return true;
  }
  return false;
}

}  // namespace

TrialResult TrialResult::failure(Json config, Json placement, std::string status, std::string error) {
  TrialResult result;
  result.config = std::move(config);
  result.placement = std::move(placement);
  result.status = std::move(status);
  result.error = std::move(error);
  return result;
}

TrialResult TrialResult::from_json(const Json& json) {
  if (!json.is_object()) throw std::invalid_argument("trial result: not a JSON object");
  try {
    TrialResult result;
    result.config = json.value("config", Json::object());
    result.status = json.value("status", "failed");
    result.error = json.value("error", "");
    result.placement = json.value("placement", Json::object());
    result.metrics = json.value("metrics", Json::object());
    result.series = json.value("series", Json::object());
    result.histograms = json.value("histograms", Json::object());
    for (const auto& [key, value] : json.items()) {
      if (!is_fixed_field(key)) result.extra[key] = value;
    }
    return result;
  } catch (const Json::exception& error) {
    throw std::invalid_argument(std::string("trial result: ") + error.what());
  }
}

void TrialResult::fail(const std::string& why) {
  if (!ok()) return;
  status = "failed";
  error = why;
}

Json TrialResult::to_json() const {
  Json json = {{"schema", kResultSchema}, {"config", config},   {"status", status}, {"error", error},
               {"placement", placement},  {"metrics", metrics}, {"series", series}};
  if (!histograms.empty()) json["histograms"] = histograms;
  for (const auto& [key, value] : extra.items()) json[key] = value;
  return json;
}

}  // namespace echolab
