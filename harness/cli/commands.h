#pragma once

#include <string>
#include <vector>

namespace echolab {

// Each command takes the arguments after its name and returns the exit
// code (0 ok, 1 run failed); bad usage throws UsageError / ConfigError /
// PlacementError, which main turns into one line and exit code 2.
int run_models_command(const std::vector<std::string>& args);
int run_trial_command(const std::vector<std::string>& args);
int run_load_command(const std::vector<std::string>& args);
int run_serve_command(const std::vector<std::string>& args);
/// Replaces this process with echolab-micro (next to this binary) and args.
int run_micro_command(const std::vector<std::string>& args);

}  // namespace echolab
