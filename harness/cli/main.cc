// echolab: one binary, one subcommand per job (docs/DESIGN.md "Command
// line"); the subcommands are the rows of harness/cli/command_table.cc.
#include <iostream>
#include <string>
#include <vector>

#include "core/socket_util.h"
#include "harness/cli/cli_args.h"
#include "harness/cli/command_table.h"
#include "harness/config/placement.h"

int main(int argc, char** argv) {
  using namespace echolab;
  ignore_sigpipe();
  if (argc < 2) {
    std::cerr << usage_text();
    return 2;
  }
  std::string name = argv[1];
  if (name == "--help" || name == "-h") name = "help";
  std::vector<std::string> args(argv + 2, argv + argc);
  try {
    const Command* command = find_command(name);
    if (!command) throw UsageError("echolab: unknown command '" + name + "'\n" + usage_text());
    return command->run(args);
  } catch (const UsageError& error) {
    std::cerr << error.what() << "\n";
  } catch (const ConfigError& error) {
    std::cerr << "echolab " << name << ": " << error.what() << "\n";
  } catch (const PlacementError& error) {
    std::cerr << "echolab " << name << ": " << error.what() << "\n";
  } catch (const std::exception& error) {
    std::cerr << "echolab " << name << ": " << error.what() << "\n";
    return 1;
  }
  return 2;
}
