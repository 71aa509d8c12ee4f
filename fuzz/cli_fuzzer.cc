// libFuzzer target: the command line of `echolab trial` and `echolab run`
// (one argument per input line): keys, aliases, --key=value, flags.
#include <sstream>
#include <vector>

#include "fuzz/fuzz_support.h"
#include "harness/cli/cli_args.h"
#include "harness/config/config_keys.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace echolab;
  std::vector<std::string> args;
  std::istringstream lines(fuzz::text_of(data, size));
  for (std::string arg; std::getline(lines, arg);) args.push_back(arg);
  const CommandFlags trial{{"json", "dry-run"}, {"topology"}, true, 0};
  const CommandFlags run{{"dry-run", "plot"}, {"out", "resume", "filter", "repetitions", "topology"}, false, 1};
  for (const auto& [command, flags] : {std::pair{"trial", trial}, std::pair{"run", run}}) {
    try {
      (void)parse_command_line(command, args, flags);
    } catch (const UsageError& error) {
      fuzz::require_one_line("cli", error.what());
    } catch (const ConfigError& error) {
      fuzz::require_one_line("cli", error.what());
    }
  }
  return 0;
}
