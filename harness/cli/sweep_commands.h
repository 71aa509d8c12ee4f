#pragma once

#include <string>
#include <vector>

namespace echolab {

// `echolab plan SPEC [--topology SRC] [--filter KEY=VALUE ...]` and
// `echolab run SPEC [--out DIR] [--resume DIR] [--filter KEY=VALUE ...]
// [--dry-run] [--plot]` (docs/DESIGN.md "Experiment spec", "Results"). They take
// the arguments after the command name and return the exit code: 0 done,
// 1 a trial failed, 2 bad usage or spec (one line on stderr, nothing
// written), 130 stopped by Ctrl-C.
int run_plan_command(const std::vector<std::string>& args);
int run_run_command(const std::vector<std::string>& args);
/// `echolab summarize RUN_DIR`: rewrites summary.csv and metrics.json of a
/// run directory from its spec.json and trials.jsonl.
int run_summarize_command(const std::vector<std::string>& args);

}  // namespace echolab
