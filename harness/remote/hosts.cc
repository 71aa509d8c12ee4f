#include "harness/remote/hosts.h"

#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <set>
#include <stdexcept>

#include "core/monotonic_clock.h"
#include "core/proc_stats.h"
#include "core/socket_util.h"
#include "harness/sweep/build_info.h"
#include "harness/sweep/run_meta.h"
#include "harness/trial/trial_result.h"

namespace echolab {
namespace {

using Clock = ChildProcess::Clock;

// A clock further off than this (beyond the measuring error) is warned of.
constexpr double kClockOffsetWarningS = 0.05;

// The ssh control sockets' directories: kControlDirPrefix, the owning
// echolab's pid, "-", six random characters.
constexpr const char* kControlDirPrefix = "/tmp/echolab-ssh-";

/// Removes the control directories of echolab processes that are gone
/// (a SIGKILLed sweep runs no destructor), so none outlives its sweep for
/// longer than the next one's start.
void remove_orphaned_control_dirs() {
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/tmp", error)) {
    const std::string path = entry.path().string();
    if (!path.starts_with(kControlDirPrefix)) continue;
    char* end = nullptr;
    const long pid = std::strtol(path.c_str() + std::strlen(kControlDirPrefix), &end, 10);
    if (pid <= 0 || *end != '-') continue;
    struct stat info = {};
    if (lstat(path.c_str(), &info) != 0 || !S_ISDIR(info.st_mode) || info.st_uid != geteuid()) continue;
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // its echolab still runs
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
}

}  // namespace

std::string HostAddress::name() const {
  if (local()) return "local";
  return (user.empty() ? "" : user + "@") + host + (port ? ":" + std::to_string(port) : "");
}

HostAddress HostAddress::parse(const std::string& text) {
  HostAddress address;
  if (text == "local") return address;
  const std::string scheme = "ssh://";
  if (!text.starts_with(scheme)) {
    throw std::invalid_argument("'" + text + "' is neither \"local\" nor \"ssh://[user@]host[:port]\"");
  }
  address.url = text;
  std::string rest = text.substr(scheme.size());
  if (const auto at = rest.find('@'); at != std::string::npos) {
    address.user = rest.substr(0, at);
    rest = rest.substr(at + 1);
  }
  // [v6::address]:port, host:port or host
  if (rest.starts_with("[")) {
    const auto close = rest.find(']');
    if (close == std::string::npos) throw std::invalid_argument("'" + text + "': '[' without ']'");
    address.host = rest.substr(1, close - 1);
    rest = rest.substr(close + 1);
  } else {
    const auto colon = rest.find(':');
    address.host = rest.substr(0, colon);
    rest = colon == std::string::npos ? "" : rest.substr(colon);
  }
  if (!rest.empty()) {
    char* end = nullptr;
    const long port = rest[0] == ':' ? std::strtol(rest.c_str() + 1, &end, 10) : 0;
    if (rest[0] != ':' || rest.size() == 1 || *end != '\0' || port < 1 || port > 65535) {
      throw std::invalid_argument("'" + text + "': the port must be 1..65535");
    }
    address.port = static_cast<int>(port);
  }
  // ssh reads a word starting with '-' as an option (ssh://-oProxyCommand=...).
  if (address.user.starts_with("-") || address.host.starts_with("-")) {
    throw std::invalid_argument("'" + text + "': a user or host name cannot begin with '-'");
  }
  // Only what DNS names, IP addresses (v6 with a %zone) and POSIX portable
  // user names use: nothing ssh or a shell could read as syntax.
  constexpr const char* kAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const std::string host_chars = std::string(kAlnum) + ".-_:%";
  const std::string user_chars = std::string(kAlnum) + "._-";
  if (address.host.empty() || address.host.find_first_not_of(host_chars) != std::string::npos) {
    throw std::invalid_argument("'" + text +
                                "': a host name may hold only letters, digits and . - _ (or an IP address)");
  }
  if (address.user.find_first_not_of(user_chars) != std::string::npos) {
    throw std::invalid_argument("'" + text + "': a user name may hold only letters, digits and . _ -");
  }
  return address;
}

bool HostsConfig::any_remote() const {
  if (!server.local()) return true;
  for (const auto& client : clients) {
    if (!client.local()) return true;
  }
  return false;
}

bool HostsConfig::one_host() const {
  for (const auto& client : clients) {
    if (client.url != server.url) return false;
  }
  return true;
}

Json HostsConfig::to_json() const {
  Json client_urls = Json::array();
  for (const auto& client : clients) client_urls.push_back(client.url);
  return {{"server", server.url}, {"clients", client_urls}, {"echolab", echolab}, {"ssh_options", ssh_options}};
}

HostsConfig HostsConfig::from_json(const Json& json) {
  if (!json.is_object()) throw std::invalid_argument("expected an object {\"server\": ..., \"clients\": [...]}");
  HostsConfig hosts;
  for (const auto& [key, value] : json.items()) {
    auto need_string = [&](const Json& item, const std::string& what) {
      if (!item.is_string()) throw std::invalid_argument(what + ": expected a string, got " + item.dump());
      return item.get<std::string>();
    };
    if (key == "server") {
      hosts.server = HostAddress::parse(need_string(value, key));
    } else if (key == "clients") {
      const Json list = value.is_string() ? Json::array({value}) : value;
      if (!list.is_array() || list.empty()) throw std::invalid_argument("clients: expected a non-empty list of hosts");
      hosts.clients.clear();
      for (const auto& item : list) hosts.clients.push_back(HostAddress::parse(need_string(item, key)));
    } else if (key == "echolab") {
      hosts.echolab = need_string(value, key);
    } else if (key == "ssh_options") {
      if (!value.is_array()) throw std::invalid_argument("ssh_options: expected a list of strings");
      for (const auto& item : value) hosts.ssh_options.push_back(need_string(item, key));
    } else {
      throw std::invalid_argument("unknown member '" + key + "' (members: server, clients, echolab, ssh_options)");
    }
  }
  return hosts;
}

HostSessions::HostSessions(HostsConfig hosts) : hosts_(std::move(hosts)) {
  ignore_sigpipe();  // a host whose ssh died must not kill the sweep when written to
  if (hosts_.echolab.empty()) hosts_.echolab = this_binary_path();
  if (!hosts_.any_remote()) return;
  remove_orphaned_control_dirs();
  std::string dir = kControlDirPrefix + std::to_string(getpid()) + "-XXXXXX";
  if (!mkdtemp(dir.data())) throw HostError("hosts: cannot create a directory for ssh control sockets in /tmp");
  control_dir_ = dir;
}

HostSessions::~HostSessions() {
  // Each master is told to exit through its socket (whatever process it
  // now is), then killed.
  for (size_t i = 0; i < master_hosts_.size(); ++i) {
    std::vector<std::string> exit = ssh_prefix(master_hosts_[i]);
    exit.insert(exit.end(), {"-O", "exit", "--", destination(master_hosts_[i])});
    try {
      ChildProcess order(exit);
      order.close_input();
      order.wait(deadline_in(5));
    } catch (const std::exception&) {
    }
  }
  masters_.clear();  // kills them; their sockets go with the directory
  if (!control_dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(control_dir_, ignored);
  }
}

std::vector<std::string> HostSessions::ssh_prefix(const HostAddress& host) const {
  // The user's options first: for each option ssh keeps the first value it
  // is given, so theirs win over the defaults after them.
  // ControlPersist=no first, before the user's options (ssh keeps the first
  // value of each): a persisting master would daemonise, leave echolab's
  // process group and outlive the sweep.
  std::vector<std::string> argv = {"ssh", "-o", "ControlPersist=no"};
  argv.insert(argv.end(), hosts_.ssh_options.begin(), hosts_.ssh_options.end());
  // A host that stops answering (a partition) fails its trial within ~15 s
  // instead of hanging until the trial's limit.
  argv.insert(argv.end(), {"-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o", "ServerAliveInterval=5", "-o",
                           "ServerAliveCountMax=3", "-o", "ControlPath=" + control_dir_ + "/%C"});
  if (host.port) argv.insert(argv.end(), {"-p", std::to_string(host.port)});
  return argv;
}

std::string HostSessions::destination(const HostAddress& host) {
  return (host.user.empty() ? "" : host.user + "@") + host.host;
}

void HostSessions::start_master(const std::string& role, const HostAddress& host, double timeout_s) {
  std::vector<std::string> argv = ssh_prefix(host);
  argv.insert(argv.end(), {"-o", "ControlMaster=yes", "-N", "--", destination(host)});
  auto master = std::make_unique<ChildProcess>(argv, /*own_group=*/true);
  // Up once `ssh -O check` answers through its socket; a master that exits
  // first could not connect, and says why.
  const auto deadline = deadline_in(timeout_s);
  for (;;) {
    std::vector<std::string> check = ssh_prefix(host);
    check.insert(check.end(), {"-O", "check", "--", destination(host)});
    ChildProcess probe(check);
    probe.close_input();
    const int status = probe.wait(deadline_in(timeout_s));
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) break;
    if (master->exited() || Clock::now() >= deadline) {
      const std::string why = master->error_tail();
      throw HostError("hosts." + role + " " + host.url + ": ssh cannot connect" + (why.empty() ? "" : ": " + why));
    }
    master->read_line(deadline_in(0.05));  // waits for the master's words or 50 ms, whichever comes first
  }
  masters_.push_back(std::move(master));
  master_hosts_.push_back(host);
}

std::vector<std::string> HostSessions::echolab_command(const HostAddress& host, const std::vector<std::string>& args,
                                                       double limit_s) const {
  if (host.local()) {
    std::vector<std::string> argv = {hosts_.echolab};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }
  std::string remote =
      "exec timeout -k 5 " + std::to_string(static_cast<long>(limit_s) + 1) + " " + shell_quote(hosts_.echolab);
  for (const auto& arg : args) remote += " " + shell_quote(arg);
  std::vector<std::string> argv = ssh_prefix(host);
  // "--" before the destination: no option can hide in it, and ssh then
  // takes every word after it as the command (it parses no options there).
  argv.insert(argv.end(), {"-o", "ControlMaster=no", "--", destination(host), remote});
  return argv;
}

double HostSessions::clock_offset_s(const HostAddress& host) const {
  const auto found = clock_offsets_.find(host.url);
  return found == clock_offsets_.end() ? 0.0 : found->second;
}

void HostSessions::warn_if_another_build(const std::string& role, const HostAddress& host, const Json& description) {
  auto text = [&](const char* key) {
    return description.contains(key) && description[key].is_string() ? description[key].get<std::string>() : "";
  };
  const std::string their_commit = text("git_commit"), our_commit = build_git_commit();
  const std::string their_version = text("echolab_version");
  const bool other_commit = !their_commit.empty() && !our_commit.empty() && their_commit != our_commit;
  if (their_version == build_info().version && !other_commit) return;
  std::cerr << "warning: hosts." << role << " " << host.url << ": its echolab is " << their_version << " (commit "
            << (their_commit.empty() ? "unknown" : their_commit) << "), this one " << build_info().version
            << " (commit " << (our_commit.empty() ? "unknown" : our_commit)
            << "): the trial's parts run different code\n";
}

std::vector<Json> HostSessions::connect(double timeout_s) {
  std::vector<std::pair<std::string, HostAddress>> roles = {{"server", hosts_.server}};
  for (const auto& client : hosts_.clients) roles.emplace_back("client", client);
  std::set<std::string> mastered;
  std::vector<Json> described;
  for (const auto& [role, host] : roles) {
    if (!host.local() && mastered.insert(host.url).second) start_master(role, host, timeout_s);
    const double asked_at = wall_clock_s();
    ChildProcess ask(echolab_command(host, {"host"}, timeout_s));
    ask.close_input();
    std::string text;
    const auto deadline = deadline_in(timeout_s);
    while (auto line = ask.read_line(deadline)) text += *line;
    const double answered_at = wall_clock_s();
    const int status = ask.wait(deadline_in(2));
    const std::string why = ask.error_tail();
    Json description = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!description.is_object()) {
      throw HostError("hosts." + role + " " + host.url + ": cannot run `" + hosts_.echolab + " host` there (" +
                      (ask.timed_out() ? "no answer within " + std::to_string(static_cast<int>(timeout_s)) + " s"
                                       : describe_wait_status(status)) +
                      (why.empty() ? "" : ": " + why) + ")");
    }
    const int schema = description.value("schema", 0);
    if (schema != kResultSchema) {
      throw HostError("hosts." + role + " " + host.url + ": its echolab (" +
                      description.value("echolab_version", std::string("?")) + ", results schema " +
                      std::to_string(schema) + ") differs from this one (" + build_info().version + ", schema " +
                      std::to_string(kResultSchema) + "); install the same version there or set hosts.echolab");
    }
    warn_if_another_build(role, host, description);
    description["role"] = role;
    description["url"] = host.url;
    if (description.contains("wall_clock_s")) {
      // Its clock against ours, known to within half the round trip: the
      // windows of a trial line up only as well as the clocks agree.
      const double offset = description["wall_clock_s"].get<double>() - (asked_at + answered_at) / 2;
      description["clock_offset_s"] = offset;
      clock_offsets_[host.url] = offset;
      description["clock_offset_uncertainty_s"] = (answered_at - asked_at) / 2;
      if (std::abs(offset) > kClockOffsetWarningS + (answered_at - asked_at) / 2) {
        std::cerr << "warning: hosts." << role << " " << host.url << ": its clock is " << offset
                  << " s off this one's; measured windows will not line up (sync the clocks with NTP)\n";
      }
    }
    described.push_back(description);
  }
  return described;
}

}  // namespace echolab
