// libFuzzer target: a host's result line in a sweep across hosts (what
// `serve --control` and `load --control` print): merged as two client
// parts and a server part, then the trial's metrics computed from the whole.
#include "fuzz/fuzz_support.h"
#include "harness/remote/remote_trial.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace echolab;
  const Json part = Json::parse(fuzz::text_of(data, size), nullptr, /*allow_exceptions=*/false);
  if (!part.is_object()) return 0;  // run_hosts_trial refuses it as unreadable
  static const HostAddress client_a = HostAddress::parse("ssh://a"), client_b = HostAddress::parse("ssh://b"),
                           server = HostAddress::parse("ssh://s");
  try {
    HostsMerge merge;
    merge.add(part, "client on a", client_a, true);
    merge.add(part, "client on b", client_b, true);
    merge.add(part, "server on s", server, false);
    const Json metrics = compute_metrics(merge.whole);
    (void)instrument_limits(metrics);
  } catch (const std::invalid_argument& error) {
    fuzz::require_one_line("window", error.what());
  } catch (const Json::exception& error) {
    fuzz::require_one_line("window", error.what());
  }
  return 0;
}
