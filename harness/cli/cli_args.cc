#include "harness/cli/cli_args.h"

#include "core/printable.h"

namespace echolab {

CommandLine parse_command_line(const std::string& command, const std::vector<std::string>& args,
                               const CommandFlags& accepted) {
  CommandLine line;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.rfind("--", 0) != 0 || arg.size() == 2) {
      if (line.positional.size() >= accepted.max_positional) {
        throw UsageError("echolab " + command + ": unexpected argument '" + printable(arg) + "'");
      }
      line.positional.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::string value;
    bool has_inline_value = false;
    if (auto equals = name.find('='); equals != std::string::npos) {
      value = name.substr(equals + 1);
      name = name.substr(0, equals);
      has_inline_value = true;
    }
    auto take_value = [&]() -> std::string {
      if (has_inline_value) return value;
      if (i + 1 >= args.size())
        throw UsageError("echolab " + command + ": option --" + printable(name) + " needs a value");
      return args[++i];
    };
    if (accepted.switches.count(name)) {
      if (has_inline_value) throw UsageError("echolab " + command + ": --" + printable(name) + " takes no value");
      line.flags[name] = "";
      continue;
    }
    if (accepted.with_value.count(name)) {
      line.flags[name] = take_value();
      continue;
    }
    const KeySpec* key = accepted.config_keys ? find_key(name) : nullptr;
    if (!key && accepted.config_keys) key = find_alias(name);
    if (!key) {
      std::string hint;
      if (accepted.config_keys) hint = nearest_key(name);
      for (const auto& flag : accepted.switches) {
        if (hint.empty() && (flag.find(name) == 0 || name.find(flag) == 0)) hint = flag;
      }
      throw UsageError("echolab " + command + ": unknown option '--" + printable(name) + "'" +
                       (hint.empty() ? "" : " (did you mean '--" + hint + "'?)"));
    }
    set_key(line.config, key->path, Json(take_value()));
    line.explicit_keys.insert(key->path);
  }
  if (accepted.config_keys) check_model_options(line.config, line.explicit_keys);
  return line;
}

std::unique_ptr<Topology> topology_from_flag(const CommandLine& line) {
  if (!line.has("topology")) return Topology::load_system();
  try {
    return Topology::load(line.flag("topology"));
  } catch (const std::invalid_argument& error) {
    throw UsageError(std::string("--topology: ") + error.what());
  }
}

}  // namespace echolab
