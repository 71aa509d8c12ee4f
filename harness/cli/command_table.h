#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace echolab {

/// One subcommand of `echolab`: its name, synopsis, one-line summary and
/// handler (takes the arguments after the name, returns the exit code).
/// The usage text is generated from these rows. Immutable, any thread.
struct Command {
  std::string_view name;
  std::string_view synopsis;  // arguments after the name
  std::string_view summary;
  std::function<int(const std::vector<std::string>&)> run;
};

/// Every subcommand, in the order `echolab help` lists them.
const std::vector<Command>& command_table();
const Command* find_command(std::string_view name);
/// "usage: echolab NAME SYNOPSIS" for one command.
std::string command_usage(std::string_view name);
/// The whole usage text of `echolab help`.
std::string usage_text();

}  // namespace echolab
