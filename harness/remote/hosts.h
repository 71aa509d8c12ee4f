#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "harness/config/config_keys.h"
#include "harness/remote/child_process.h"

namespace echolab {

/// A host that can't be reached or can't run the sweep's echolab; the
/// message names the host and says why (ssh's own words). Exit code 2.
class HostError : public ConfigError {
 public:
  using ConfigError::ConfigError;
};

/// Where one side of a trial runs: this host ("local") or one reached with
/// the system's ssh ("ssh://[user@]host[:port]"). A plain value.
struct HostAddress {
  std::string url = "local";
  std::string user, host;
  int port = 0;  // 0: ssh's default (or the user's ssh config)

  bool local() const { return url == "local"; }
  /// "local", or "[user@]host[:port]": the tag of this host's thread rows.
  std::string name() const;
  /// Reads "local" or "ssh://[user@]host[:port]"; throws
  /// std::invalid_argument saying what is wrong.
  static HostAddress parse(const std::string& text);
};

/// A sweep's hosts (the spec's "hosts" section, or --hosts.* flags): the
/// server's, the clients' (each runs the configured load), the echolab
/// binary on them and extra ssh options. A plain value.
struct HostsConfig {
  HostAddress server;
  std::vector<HostAddress> clients = {HostAddress{}};
  std::string echolab;                   // the binary every host runs (local parts too); "": this binary's path
  std::vector<std::string> ssh_options;  // e.g. {"-F", "ssh_config"}

  /// Whether any side leaves this host (else the sweep runs as before).
  bool any_remote() const;
  /// Whether the server and every client are the same host.
  bool one_host() const;
  /// {"server": URL, "clients": [URL...], "echolab": PATH, "ssh_options": [...]}.
  Json to_json() const;
  /// Reads to_json's form (as a spec writes it); throws
  /// std::invalid_argument naming the member that is wrong.
  static HostsConfig from_json(const Json& json);
};

/// The ssh connections of one sweep: a control master per remote host
/// (started by connect(), stopped when destroyed; the kernel kills them if
/// the sweep dies) and the command lines that run echolab on each host
/// through them. Built by the sweep's main thread; trial processes (forked)
/// read it.
class HostSessions {
 public:
  explicit HostSessions(HostsConfig hosts);
  ~HostSessions();
  HostSessions(const HostSessions&) = delete;
  HostSessions& operator=(const HostSessions&) = delete;

  /// Opens a master to each remote host and asks each host's echolab to
  /// describe itself (`echolab host`); refuses a host whose results schema
  /// differs. Returns one description per host in hosts order (server,
  /// then clients), each with "role", "url" and the host's clock offset
  /// from this one ("clock_offset_s", within "clock_offset_uncertainty_s").
  /// Throws HostError.
  std::vector<Json> connect(double timeout_s = 20);
  /// argv that runs `echolab ARGS...` on `host` (directly when local),
  /// limited to `limit_s` seconds there (remote: under timeout(1), whose
  /// process group is killed at the limit).
  std::vector<std::string> echolab_command(const HostAddress& host, const std::vector<std::string>& args,
                                           double limit_s) const;
  const HostsConfig& hosts() const { return hosts_; }
  /// `host`'s clock minus this one's, as connect() measured it (0 for a
  /// local host or before connect()): an order for a time on this clock
  /// goes to the host as that time plus its offset.
  double clock_offset_s(const HostAddress& host) const;

 private:
  std::vector<std::string> ssh_prefix(const HostAddress& host) const;
  static std::string destination(const HostAddress& host);
  /// Warns (stderr) when a host's echolab is another version or commit.
  static void warn_if_another_build(const std::string& role, const HostAddress& host, const Json& description);
  /// Starts the host's control master and waits until it answers; throws
  /// HostError with ssh's words when it can't connect.
  void start_master(const std::string& role, const HostAddress& host, double timeout_s);

  HostsConfig hosts_;
  std::string control_dir_;  // holds the masters' sockets
  std::vector<std::unique_ptr<ChildProcess>> masters_;
  std::vector<HostAddress> master_hosts_;        // masters_[i] connects to master_hosts_[i]
  std::map<std::string, double> clock_offsets_;  // by host url (clock_offset_s)
};

}  // namespace echolab
