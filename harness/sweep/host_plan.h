#pragma once

#include <vector>

#include "harness/config/config_keys.h"
#include "harness/sweep/results_dir.h"
#include "harness/sweep/spec.h"

namespace echolab {

/// Plans every point of `spec` with its server threads on the server
/// host's topology and its client threads on each client host's, as the
/// hosts described themselves (HostSessions::connect); rows carry "host".
/// Throws SpecError at the cpus key a host's topology lacks, naming it.
std::vector<Json> plan_on_hosts(const Spec& spec, const std::vector<Json>& host_descriptions);

/// meta.json's "hosts": each host's description (role, url, name, CPU,
/// kernel, topology, echolab version and commit) and the sweep's hosts
/// section; each host's topology goes to topology-ROLE-N.xml.
void record_hosts(const ResultsDir& results, Json& meta, const std::vector<Json>& host_descriptions,
                  const HostsConfig& hosts);

}  // namespace echolab
