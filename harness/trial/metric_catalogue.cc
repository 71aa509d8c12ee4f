#include "harness/trial/metric_catalogue.h"

#include <sstream>

namespace echolab {
namespace {

constexpr int kCatalogueSchema = 1;

constexpr MetricScope kTrial = MetricScope::kTrial;
constexpr MetricScope kThread = MetricScope::kThread;
constexpr Better kHigher = Better::kHigher;
constexpr Better kLower = Better::kLower;
constexpr Better kNone = Better::kNone;

std::string_view better_name(Better better) {
  switch (better) {
    case Better::kHigher:
      return "higher";
    case Better::kLower:
      return "lower";
    case Better::kNone:
      return "none";
  }
  return "none";
}

}  // namespace

const std::vector<MetricInfo>& metric_catalogue() {
  // The summary metrics come first, in the column order of summary.csv.
  static const std::vector<MetricInfo> catalogue = {
      {"throughput_mb_s", "Throughput", "MB/s", kHigher, kTrial, "window", true,
       "bytes echoed back to the client per second in the measured window, one direction (MB = 10^6 bytes)"},
      {"msgs_per_s", "Messages per second", "msg/s", kHigher, kTrial, "window", true,
       "throughput divided by load.message_bytes"},
      {"server_cpu_s", "Server CPU time", "s", kLower, kTrial, "sum", true,
       "user + system CPU seconds of the server's threads over the window (external servers: the whole process, exited "
       "threads and waited-for children included)"},
      {"client_cpu_s", "Client CPU time", "s", kLower, kTrial, "sum", true,
       "user + system CPU seconds of the load client's threads over the window"},
      {"server_cpu_per_gb", "Server CPU per GB echoed", "s/GB", kLower, kTrial, "ratio", true,
       "server CPU seconds per 10^9 bytes echoed"},
      {"ctx_switches_voluntary", "Voluntary context switches", "count", kLower, kTrial, "sum", true,
       "server threads' voluntary context switches (blocking waits) over the window"},
      {"ctx_switches_involuntary", "Involuntary context switches", "count", kLower, kTrial, "sum", true,
       "server threads' involuntary context switches (preemptions) over the window"},
      {"migrations", "CPU migrations", "count", kLower, kTrial, "sum", true,
       "server threads' moves between CPUs over the window (\"not supported\" where the kernel hides them)"},
      {"spurious_wakeups", "Spurious wake-ups", "count", kLower, kTrial, "sum", true,
       "listener wake-ups that accepted nothing, in the window; null for external servers"},
      {"fairness_jain", "Jain's fairness index", "1 = even", kHigher, kTrial, "jain", true,
       "Jain's index over the server threads' bytes: 1 = evenly spread, 1/N = one thread did all; null when "
       "unknown"},
      {"interval_cv", "Interval throughput CV", "ratio", kLower, kTrial, "window", true,
       "coefficient of variation (population stdev / mean) of the per-interval throughput: the forum's "
       "\"fluctuating\""},
      {"server_requests_worked", "Requests worked", "count", kNone, kTrial, "sum", true,
       "requests whose work (server.work_cpu_us, server.work_block_us) the server did in the window; 0 without "
       "work, null for external servers"},
      {"server_work_cpu_s", "Server work CPU time", "s", kNone, kTrial, "sum", true,
       "wall seconds the server threads spent in the calibrated work loop (server.work_cpu_us) in the window; a "
       "preempted loop counts its wait"},
      {"server_work_blocked_s", "Server work blocked time", "s", kNone, kTrial, "sum", true,
       "seconds the server threads spent blocked in work (server.work_block_us) in the window"},
      {"server_cpu_us_per_request", "Server CPU per request", "us", kLower, kTrial, "ratio", true,
       "server CPU time (all its threads, user + system) per request answered in the window (request workloads: "
       "rr, crr, open); a spinning server (server.wait spin) burns its core whatever the load"},
      {"server_empty_polls", "Server empty polls", "count", kNone, kTrial, "sum", true,
       "polls of the server threads that found nothing to do in the window: with server.wait spin, epoll_wait(0) "
       "or io_uring completion peeks that returned empty (0 when the threads sleep: server.wait block); null for "
       "an external server"},
      {"server_zerocopy_sends", "Zero-copy sends", "count", kNone, kTrial, "sum", true,
       "sends the server made with MSG_ZEROCOPY in the window (server.send zerocopy; 0 with copy, null for an "
       "external server)"},
      {"server_zerocopy_copied", "Zero-copy sends copied", "count", kNone, kTrial, "sum", true,
       "zero-copy sends whose completion, read from the socket's error queue in the window, the kernel marked "
       "SO_EE_CODE_ZEROCOPY_COPIED: it copied the data after all (loopback and veth always do)"},
      {"server_zerocopy_copied_share", "Share of zero-copy sends copied", "ratio", kNone, kTrial, "ratio", true,
       "server_zerocopy_copied over the zero-copy completions read in the window (1 = every send was copied "
       "anyway); null without completions"},
      {"server_zerocopy_refused", "Zero-copy sends refused", "count", kLower, kTrial, "sum", true,
       "sends the kernel refused as zero-copy in the window (ENOBUFS: the socket's notification memory, "
       "net.core.optmem_max, was full), made again as plain copying sends"},
      {"server_threads_active", "Server threads active", "threads", kNone, kTrial, "count", true,
       "server threads that moved bytes in the window (2 connections on 1 thread: 1)"},
      {"idle_event_share", "Idle event share", "ratio", kLower, kTrial, "ratio", true,
       "share of the server's connection events after which no byte moved either way: the busy loop, measured "
       "directly; null where connections are not epoll-driven (io_uring, thread_per_connection, external)"},
      {"connection_fairness_jain", "Connection fairness (Jain)", "1 = even", kHigher, kTrial, "jain", true,
       "Jain's index over the bytes each client connection got back in the window"},
      {"connections_served", "Connections served", "count", kHigher, kTrial, "count", true,
       "client connections that got at least one byte back in the window (a connection left in the backlog: 0)"},
      {"interval_cv_1s", "Throughput CV at 1 s", "ratio", kLower, kTrial, "window", true,
       "coefficient of variation of throughput in 1 s bins (fluctuation at the seconds scale); null unless "
       "timing.interval_ms divides 1000 and the window holds 2 bins"},
      {"steal_s", "Steal time", "s", kLower, kTrial, "window", true,
       "CPU time the hypervisor gave to other guests during the window, all CPUs (/proc/stat); null if unknown"},
      {"other_cpu_s", "CPU time outside the trial", "s", kLower, kTrial, "window", true,
       "busy CPU time of the whole machine in the window (/proc/stat, all CPUs) minus the server's and client's "
       "threads: other processes, interrupts, the sampler; noise a run on a shared machine should show"},
      {"cpu_mhz", "CPU frequency", "MHz", kNone, kTrial, "window", false,
       "mean frequency of the CPUs at the window's end: cpufreq's current frequency, else /proc/cpuinfo's 'cpu "
       "MHz' (on a VM the hypervisor's figure, not a measurement; meta.json's cpu_mhz_source says which); null "
       "where neither exists"},
      {"client_busy_fraction_max", "Busiest client thread's busy fraction", "ratio", kNone, kTrial, "max", true,
       "CPU time of the busiest client thread over the window (1 = busy all the time); at 0.9 or more the trial "
       "record carries \"client_bound\": true, the client rather than the server may have set the pace (a spinning "
       "client, load.wait spin, only when under one in ten of its polls came up empty)"},
      {"client_wakeups", "Client wake-ups", "count", kNone, kTrial, "sum", false,
       "epoll_wait returns of the client threads' event loops in the window (0 for a ping-pong connection alone on "
       "its thread: it waits in recv())"},
      {"client_empty_polls", "Client empty polls", "count", kNone, kTrial, "sum", true,
       "polls of the client threads that found nothing to do in the window (load.wait spin; 0 with block)"},
      {"busy_threads", "Busy threads", "threads", kNone, kTrial, "count", true,
       "server and client threads that used at least half a CPU over the window"},
      {"accepts_in_window", "Accepts in the window", "count", kNone, kTrial, "sum", true,
       "connections the server threads took during the window (crr, or connects spaced into the window)"},
      {"accept_fairness_jain", "Accept fairness (Jain)", "1 = even", kHigher, kTrial, "jain", true,
       "Jain's index over the connections each server thread took in the window; absent without accepts"},
      {"accepts_on_client_cpus_share", "Accepts on the client's PUs", "ratio", kNone, kTrial, "ratio", true,
       "share of the connections accepted since the server started that went to server threads observed only on "
       "PUs the client threads ran on (loopback processes a SYN on the sender's PU: with server.incoming_cpu, 1); "
       "absent without accepts or across hosts"},
      {"accept_max_share", "Busiest thread's share of accepts", "ratio", kNone, kTrial, "max", true,
       "the largest share of the window's accepts one server thread took (1/N = even, 1 = one thread took all)"},
      {"accept_max_min_ratio", "Busiest to idlest thread's accepts", "ratio", kNone, kTrial, "max", true,
       "accepts of the busiest server thread over those of the idlest in the window (the SO_REUSEPORT patch's "
       "\"3:1\"); null when some thread accepted none"},
      {"spurious_wakeups_per_accept", "Spurious wake-ups per accept", "ratio", kLower, kTrial, "ratio", true,
       "listener wake-ups that accepted nothing, per connection accepted in the window: the thundering herd"},
      {"ctx_switches_per_accept", "Context switches per accept", "ratio", kLower, kTrial, "ratio", true,
       "server threads' voluntary context switches per connection accepted in the window"},
      {"requests_per_s", "Requests per second", "req/s", kHigher, kTrial, "window", true,
       "responses received and checked per second in the window (request workloads: rr, crr, open)"},
      {"latency_us_p50", "Latency p50", "us", kLower, kTrial, "window", true,
       "median request latency: send (open: intended send time; crr: connect) to the whole echo read back; a "
       "request still unanswered at the window's end counts with its age then (censored: at least that)"},
      {"latency_us_p90", "Latency p90", "us", kLower, kTrial, "window", true, "90th percentile request latency"},
      {"latency_us_p99", "Latency p99", "us", kLower, kTrial, "window", true, "99th percentile request latency"},
      {"latency_us_p999", "Latency p99.9", "us", kLower, kTrial, "window", true, "99.9th percentile request latency"},
      {"latency_us_p9999", "Latency p99.99", "us", kLower, kTrial, "window", true,
       "99.99th percentile request latency"},
      {"latency_us_max", "Latency max", "us", kLower, kTrial, "window", true,
       "longest request latency in the window: exact when the window holds the longest its client thread saw, "
       "else the upper end of its histogram bucket"},
      {"latency_us_mean", "Latency mean", "us", kLower, kTrial, "window", true, "mean request latency (exact)"},
      {"connects_per_s", "Connects per second", "conn/s", kHigher, kTrial, "window", true,
       "crr: connections opened per second in the window"},
      {"connect_us_p50", "Connect latency p50", "us", kLower, kTrial, "window", true,
       "crr: median time from connect() to the socket being writable"},
      {"connect_us_p99", "Connect latency p99", "us", kLower, kTrial, "window", true,
       "crr: 99th percentile connect latency"},
      {"offered_requests_per_s", "Offered requests per second", "req/s", kNone, kTrial, "window", true,
       "open: the schedule's rate (load.rate)"},
      {"achieved_rate_share", "Achieved share of the offered rate", "ratio", kHigher, kTrial, "window", true,
       "open: requests_per_s / offered_requests_per_s; below 0.95 the trial carries a warning"},
      {"requests_behind_schedule", "Requests behind schedule", "count", kLower, kTrial, "window", true,
       "open: requests handed to the socket more than 1 ms after their intended time (client or socket could not "
       "keep up); their latency still counts from the intended time"},
      {"send_lag_us_p50", "Send lag p50", "us", kLower, kTrial, "window", true,
       "open: median time from a request's intended send time to the client handing it to the socket (timer "
       "wake-up and client delay; part of every open-loop latency)"},
      {"send_lag_us_p99", "Send lag p99", "us", kLower, kTrial, "window", true,
       "open: 99th percentile of the send lag"},
      {"requests_unanswered", "Requests unanswered", "count", kLower, kTrial, "window", true,
       "requests queued or in flight when the window ended; each counts in the latency percentiles with its age "
       "then (censored), so a server that stops answering shows in the tail instead of vanishing from it"},
      {"requests_not_sent", "Requests not sent", "count", kLower, kTrial, "window", true,
       "open: requests whose time came while their connection held its cap (256 KiB unsent or 16384 unanswered "
       "requests), counted and never queued so the client's memory stays bounded at any offered rate, plus those "
       "the schedule had not handed out by the window's end (the client fell behind)"},
      {"latency_uncorrected_us_p50", "Uncorrected latency p50", "us", kLower, kTrial, "window", true,
       "open: median latency from the request's actual send (wrk2's uncorrected latency: it hides the wait before "
       "the send that latency_us_p50 counts)"},
      {"latency_uncorrected_us_p99", "Uncorrected latency p99", "us", kLower, kTrial, "window", true,
       "open: 99th percentile latency from the actual send"},
      {"latency_uncorrected_us_p999", "Uncorrected latency p99.9", "us", kLower, kTrial, "window", true,
       "open: 99.9th percentile latency from the actual send"},
      {"server_rss_per_conn_bytes", "Server memory per connection", "bytes", kLower, kTrial, "window", true,
       "growth of the server process's resident memory (VmRSS) from before the connects to the window's end, per "
       "connection; null when the server runs in the trial's process (see process_rss_per_conn_bytes)"},
      {"process_rss_per_conn_bytes", "Trial process memory per connection", "bytes", kLower, kTrial, "window", true,
       "growth of the trial process's resident memory from before the connects to the window's end, per "
       "connection: the client's, plus the server's when it runs in-process"},
      {"server_rss_bytes", "Server memory", "bytes", kLower, kTrial, "window", false,
       "VmRSS of the server's own process at the window's end; null when the server runs in the trial's process"},
      {"client_rss_bytes", "Client memory", "bytes", kLower, kTrial, "window", false,
       "VmRSS of the load client's process at the window's end, when the server runs elsewhere; else null"},
      {"process_rss_bytes", "Trial process memory", "bytes", kLower, kTrial, "window", false,
       "VmRSS of the trial's process at the window's end (the client, and the server when in-process)"},
      {"process_rss_hwm_bytes", "Trial process peak memory", "bytes", kLower, kTrial, "window", false,
       "VmHWM (peak VmRSS) of the trial's process at the window's end"},
      {"connect_s", "Time to connect", "s", kNone, kTrial, "window", false,
       "seconds the client took to open all its connections before the warm-up"},
      {"threads_omitted", "Thread rows left out", "count", kNone, kTrial, "none", false,
       "when a trial had more than 1024 threads (thread_per_connection with thousands of connections): how many, "
       "and metrics.threads[] is empty; the trial metrics still cover them all"},
      {"placement_pus", "PUs in the placement", "PUs", kNone, kTrial, "count", false,
       "distinct PUs the trial's server, client and sampler threads may run on"},
      {"accepts_won_by_busy_thread", "Accepts won by a busy thread", "count", kNone, kTrial, "sum", true,
       "connections accepted, since server start, by a thread that had handled connection events since its "
       "previous wake-up began (already serving, not woken from sleep for the accept); absent without counters"},
      {"accepts_won_by_busy_thread_share", "Share of accepts won by a busy thread", "ratio", kNone, kTrial, "ratio",
       false, "accepts_won_by_busy_thread over every connection accepted since server start"},
      {"accept_winner_registration_rank", "Accept winner's registration rank", "rank", kNone, kTrial, "none", true,
       "mean, over the connections accepted since server start, of the accepting thread's rank in registering "
       "the shared listener (0 = registered first, threads - 1 = last); 0 for per-thread listeners, null for "
       "models whose accepting thread has no listener rank (acceptor_workers, dispatch_pool)"},
      {"accept_winner_index", "Accept winner's thread index", "index", kNone, kTrial, "none", true,
       "mean, over the connections server threads accepted (or were handed) since server start, of the thread's "
       "index; with accept_winner_registration_rank it tells a thread's start order from its index"},
      {"spurious_wakeups_per_accept_since_start", "Empty listener wake-ups per accept", "ratio", kLower, kTrial,
       "ratio", false,
       "listener wake-ups that found nothing to accept, per connection accepted, since server start: the threads "
       "that woke for an accept and lost it; epoll re-checks readiness before returning, so losers that go back to "
       "sleep inside epoll_wait are not counted here (they show as voluntary context switches)"},
      {"spurious_wakeups_since_start", "Spurious wake-ups since start", "count", kLower, kTrial, "sum", true,
       "listener wake-ups that accepted nothing, counted from server start (the accepts precede the window)"},
      {"client_migrations", "Client CPU migrations", "count", kNone, kTrial, "sum", false,
       "client threads' moves between CPUs over the window"},
      {"bytes_echoed", "Bytes echoed", "bytes", kHigher, kTrial, "window", false,
       "bytes the client received back in the window"},
      {"window_s", "Measured window", "s", kNone, kTrial, "window", false, "length of the measured window"},
      {"client_ctx_switches_voluntary", "Client voluntary context switches", "count", kLower, kTrial, "sum", false,
       "client threads' voluntary context switches (load-only runs)"},
      {"client_ctx_switches_involuntary", "Client involuntary context switches", "count", kLower, kTrial, "sum", false,
       "client threads' involuntary context switches (load-only runs)"},
      {"server_threads_using_cpu", "Server threads using CPU", "threads", kNone, kTrial, "count", true,
       "server threads that used at least a tenth of a CPU over the window: active threads seen by the OS, so it "
       "covers external servers too (the mio peer), which have no counters of ours"},
      {"connections", "Connections", "count", kNone, kThread, "sum", false,
       "connections the thread accepted (server) or opened (client) since it started"},
      {"busy_fraction", "Busy fraction", "ratio", kNone, kThread, "none", false,
       "the thread's CPU time (user + system) over the window"},
      {"listener_rank", "Listener registration rank", "rank", kNone, kThread, "none", false,
       "order in which this server thread registered the shared listening socket (0 = first)"},
      {"accepts_while_busy", "Accepts while busy", "count", kNone, kThread, "sum", false,
       "connections this thread accepted since start while it was serving connections (not woken from sleep)"},
      {"accepts", "Accepts", "count", kNone, kThread, "sum", false,
       "connections the thread took (accepted or was handed) during the window"},
      {"bytes", "Bytes moved", "bytes", kNone, kThread, "sum", false,
       "bytes the thread wrote (server) or received (client) in the window"},
      {"wakeups", "Wake-ups", "count", kNone, kThread, "sum", false, "returns from epoll_wait with events"},
      {"events", "Events", "count", kNone, kThread, "sum", false,
       "events those returns carried (io_uring: completions); at most server.max_events per wake-up"},
      {"reads", "Reads", "count", kNone, kThread, "sum", false, "read() calls that returned data"},
      {"writes", "Writes", "count", kNone, kThread, "sum", false, "write()/send() calls that wrote data"},
      {"errors", "Errors", "count", kLower, kThread, "sum", false, "connections closed on an error"},
      {"hops", "Hops", "count", kLower, kThread, "sum", false,
       "events this thread served for a connection last served by another thread (dispatch_pool)"},
      {"handoffs", "Hand-offs", "count", kNone, kThread, "sum", false,
       "sockets this worker took from its hand-off queue since start (acceptor_workers)"},
      {"dropped", "Dropped", "count", kLower, kThread, "sum", false,
       "connections closed unserved since start: every hand-off queue full (acceptor), or accepted and closed "
       "while out of file descriptors (listeners)"},
      {"handoff_us_mean", "Hand-off latency", "us", kLower, kThread, "none", false,
       "mean time from accept to the worker adopting the socket (acceptor_workers)"},
      {"idle_events", "Idle events", "count", kLower, kThread, "sum", false,
       "the thread's connection events that moved no byte (busy loop)"},
      {"empty_polls", "Empty polls", "count", kNone, kThread, "sum", false,
       "polls that found nothing (wait spin); absent when 0"},
      {"zerocopy_sends", "Zero-copy sends", "count", kNone, kThread, "sum", false,
       "MSG_ZEROCOPY sends (server.send zerocopy); absent otherwise"},
      {"zerocopy_completed", "Zero-copy completions", "count", kNone, kThread, "sum", false,
       "zero-copy sends whose completion was read from the error queue; absent without server.send zerocopy"},
      {"zerocopy_copied", "Zero-copy sends copied", "count", kNone, kThread, "sum", false,
       "completions marked SO_EE_CODE_ZEROCOPY_COPIED; absent without server.send zerocopy"},
      {"zerocopy_refused", "Zero-copy sends refused", "count", kNone, kThread, "sum", false,
       "sends refused as zero-copy (ENOBUFS) and made as copies; absent without server.send zerocopy"},
      {"cpu_user_s", "User CPU", "s", kLower, kThread, "sum", false, "user CPU seconds in the window"},
      {"cpu_sys_s", "System CPU", "s", kLower, kThread, "sum", false, "system CPU seconds in the window"},
      {"ctx_voluntary", "Voluntary context switches", "count", kLower, kThread, "sum", false,
       "the thread's voluntary context switches in the window"},
      {"ctx_involuntary", "Involuntary context switches", "count", kLower, kThread, "sum", false,
       "the thread's involuntary context switches in the window"},
  };
  return catalogue;
}

const MetricInfo* find_metric(std::string_view name) {
  for (const auto& metric : metric_catalogue()) {
    if (metric.name == name) return &metric;
  }
  return nullptr;
}

std::vector<std::string> summary_metric_names() {
  std::vector<std::string> names;
  for (const auto& metric : metric_catalogue()) {
    if (metric.summary) names.emplace_back(metric.name);
  }
  return names;
}

Json metric_catalogue_json() {
  Json metrics = Json::array();
  for (const auto& metric : metric_catalogue()) {
    metrics.push_back({{"name", metric.name},
                       {"title", metric.title},
                       {"unit", metric.unit},
                       {"better", better_name(metric.better)},
                       {"scope", metric.scope == MetricScope::kTrial ? "trial" : "thread"},
                       {"threads", metric.over_threads},
                       {"repetitions", "median"},
                       {"summary", metric.summary},
                       {"description", metric.description}});
  }
  return {{"schema", kCatalogueSchema}, {"metrics", metrics}};
}

std::string describe_metrics() {
  std::ostringstream out;
  for (const auto& metric : metric_catalogue()) {
    out << "  " << metric.name << (metric.scope == MetricScope::kThread ? " (per thread)" : "") << "  ["
        << (metric.unit.empty() ? "-" : metric.unit) << ", " << better_name(metric.better) << " is better]  "
        << metric.description << "\n";
  }
  return out.str();
}

}  // namespace echolab
