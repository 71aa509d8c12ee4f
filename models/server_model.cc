#include "models/server_model.h"

#include "core/zerocopy_output.h"

namespace echolab {

ListenerOptions listener_options_from(const OptionValues& options) {
  ListenerOptions listener;
  if (options.has("listener_trigger")) {
    listener.trigger = options.text("listener_trigger") == "edge" ? Trigger::kEdge : Trigger::kLevel;
  }
  listener.exclusive = options.has("exclusive") && options.flag("exclusive");
  listener.accept_once = options.has("accept") && options.text("accept") == "once";
  return listener;
}

void require_kernel_support(const EchoOptions& echo) {
  if (echo.send == SendMode::kZeroCopy && !kernel_takes_zerocopy()) {
    throw ModelUnavailable("server.send zerocopy: this kernel refuses SO_ZEROCOPY on TCP sockets");
  }
}

void enter_server_thread(ThreadCounters& counters, const CpuList& cpus) {
  try {
    bind_current_thread(cpus);
  } catch (const std::exception&) {
    bump(counters.errors);
  }
  counters.attach_current_thread();
}

ThreadCounters& CounterSet::add(const std::string& role, int index) {
  std::lock_guard lock(mutex_);
  counters_.push_back(std::make_unique<ThreadCounters>());
  counters_.back()->role = role;
  counters_.back()->index = index;
  return *counters_.back();
}

std::vector<ServerThreadReport> CounterSet::reports() const {
  std::lock_guard lock(mutex_);
  std::vector<ServerThreadReport> out;
  for (const auto& counters : counters_) {
    out.push_back({counters->role, counters->index, counters->snapshot(), true});
  }
  return out;
}

}  // namespace echolab
