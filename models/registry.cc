#include "models/registry.h"

#include "core/event_loop.h"
#include "models/acceptor_workers.h"
#include "models/blocking_pool.h"
#include "models/dispatch_pool.h"
#include "models/external_server.h"
#include "models/io_uring_server.h"
#include "models/offload_pool.h"
#include "models/reuseport.h"
#include "models/shared_listener.h"
#include "models/single_thread.h"
#include "models/thread_per_connection.h"

namespace echolab {
namespace {

// Options several models share, declared once.
const OptionSpec kListenerTrigger{"listener_trigger",
                                  OptionType::kEnum,
                                  std::string("level"),
                                  "epoll trigger mode of the listening socket",
                                  {"level", "edge"}};

const OptionSpec kAccept{"accept",
                         OptionType::kEnum,
                         std::string("drain"),
                         "accepts per listener wake-up: once (as mio code does) or drain (until EAGAIN)",
                         {"once", "drain"}};

const OptionSpec kWait{"wait",
                       OptionType::kEnum,
                       std::string("block"),
                       "how the event loops wait: block (sleep in epoll_wait / io_uring_enter) or spin (poll "
                       "without sleeping, counting empty polls: a core per loop)",
                       {"block", "spin"}};

const OptionSpec kSend{
    "send",
    OptionType::kEnum,
    std::string("copy"),
    "how echoes are sent: copy (send) or zerocopy (MSG_ZEROCOPY from per-connection buffers kept until "
    "the kernel's completion arrives on the error queue; server_zerocopy_copied counts the sends it "
    "copied anyway)",
    {"copy", "zerocopy"}};

const OptionSpec kMaxEvents{"max_events",
                            OptionType::kInt,
                            static_cast<long long>(EventLoop::kDefaultMaxEvents),
                            "events fetched per epoll_wait (frevib's epoll echo server: 10)",
                            {},
                            1,
                            EventLoop::kMaxEvents};

}  // namespace

const std::vector<ModelInfo>& model_registry() {
  static const std::vector<ModelInfo> models = {
      {"single_thread",
       "one thread, one epoll loop doing accept and all I/O",
       {kListenerTrigger, kAccept, kWait, kMaxEvents, kSend},
       true,
       1,
       {},
       [] { return std::make_unique<SingleThreadServer>(); }},
      {"shared_listener",
       "N threads, each with its own epoll, all registering the one listening socket (the forum's design)",
       {kListenerTrigger,
        kAccept,
        kWait,
        kMaxEvents,
        kSend,
        {"exclusive", OptionType::kBool, false, "register the shared listener with EPOLLEXCLUSIVE"},
        {"register_order",
         OptionType::kEnum,
         std::string("index"),
         "order in which the threads register the shared listener: index (thread 0 first) or reverse",
         {"index", "reverse"}}},
       true,
       1024,
       {},
       [] { return std::make_unique<SharedListenerServer>(); }},
      {"acceptor_workers",
       "one acceptor thread hands accepted sockets to N worker loops through bounded queues + eventfd",
       {kListenerTrigger,
        kAccept,
        kWait,
        kMaxEvents,
        kSend,
        {"dispatch",
         OptionType::kEnum,
         std::string("round_robin"),
         "how the acceptor picks a worker",
         {"round_robin", "least_connections"}},
        {"queue_capacity",
         OptionType::kInt,
         16384LL,
         "per-worker hand-off queue slots (full queues: the connection is dropped)",
         {},
         1,
         1 << 20}},
       true,
       1024,
       {"acceptor"},
       [] { return std::make_unique<AcceptorWorkersServer>(); }},
      {"reuseport",
       "N threads, each with its own SO_REUSEPORT listener and loop",
       {kListenerTrigger,
        kAccept,
        kWait,
        kMaxEvents,
        kSend,
        {"steer", OptionType::kBool, false,
         "SO_ATTACH_REUSEPORT_CBPF: listener = CPU that received the SYN mod threads"},
        {"incoming_cpu", OptionType::kBool, false,
         "SO_INCOMING_CPU on each listener = the PU its thread is placed on: a connection whose SYN was processed on "
         "that PU goes to that listener (Linux 6.1+; each server thread must be placed on one PU)"}},
       true,
       1024,
       {},
       [] { return std::make_unique<ReuseportServer>(); }},
      {"thread_per_connection",
       "blocking accept loop, one blocking thread per connection (threads = CPU slots they rotate over)",
       {},
       false,
       1024,
       {"acceptor"},
       [] { return std::make_unique<ThreadPerConnectionServer>(); }},
      {"blocking_pool",
       "prefork: N threads each block in accept() on one listener and serve the connection they took until it "
       "closes (at most N connections served at once)",
       {},
       false,
       1024,
       {},
       [] { return std::make_unique<BlockingPoolServer>(); }},
      {"dispatch_pool",
       "one epoll thread hands each ready event (EPOLLONESHOT) to a pool of N threads; connections migrate",
       {kListenerTrigger, kAccept, kWait, kMaxEvents, kSend},
       true,
       1024,
       {"dispatcher"},
       [] { return std::make_unique<DispatchPoolServer>(); }},
      {"offload_pool",
       "N event loops (SO_REUSEPORT) do all socket I/O; each complete request's work goes through one queue to a "
       "pool of worker threads, which hand the response back to the connection's loop (eventfd); connections never "
       "hop",
       {kListenerTrigger,
        kAccept,
        kWait,
        kMaxEvents,
        kSend,
        {"workers",
         OptionType::kInt,
         4LL,
         "worker threads doing the requests' work (server.threads: the loops)",
         {},
         1,
         1024}},
       true,
       1024,
       {},
       [] { return std::make_unique<OffloadPoolServer>(); }},
      {"io_uring",
       "per-thread io_uring: multishot accept, recv into a ring of provided buffers, send; each setup choice an "
       "option",
       {kWait,
        {"task_run",
         OptionType::kEnum,
         std::string("defer"),
         "who runs completion task work: defer (SINGLE_ISSUER|DEFER_TASKRUN: when the thread waits), coop "
         "(SINGLE_ISSUER|COOP_TASKRUN: at its next kernel entry) or signal (no flag: interrupts the thread)",
         {"defer", "coop", "signal"}},
        {"recv",
         OptionType::kEnum,
         std::string("multishot"),
         "multishot (one submission for every read of a connection) or single (one per read)",
         {"multishot", "single"}},
        {"submit",
         OptionType::kEnum,
         std::string("batched"),
         "batched (one io_uring_enter per loop turn submits and waits) or each (every request submitted at once)",
         {"batched", "each"}}},
       false,
       1024,
       {},
       [] { return std::make_unique<IoUringServer>(); }},
      {"external",
       "any echo server started from a command (argv with {port}); OS figures only",
       {{"command", OptionType::kStringList, std::vector<std::string>{},
         "argv of an external echo server; {port} is replaced, {echolab} is this echolab binary"},
        {"start_timeout_s",
         OptionType::kNumber,
         5.0,
         "seconds an external server has to start listening",
         {},
         0.1,
         600}},
       false,
       1,
       {},
       [] { return std::make_unique<ExternalServer>(); }},
  };
  return models;
}

const OptionSpec* ModelInfo::option(std::string_view key) const {
  for (const auto& spec : options) {
    if (spec.key == key) return &spec;
  }
  return nullptr;
}

std::string ModelInfo::thread_limit_error(int threads) const {
  if (threads <= max_threads) return "";
  return std::string(name) + " takes at most " + std::to_string(max_threads) +
         " thread(s); asked for threads=" + std::to_string(threads);
}

OptionValues ModelInfo::default_options() const {
  OptionValues values;
  for (const auto& spec : options) values.set(std::string(spec.key), spec.default_value);
  return values;
}

const ModelInfo* find_model(std::string_view name) {
  for (const auto& model : model_registry()) {
    if (model.name == name) return &model;
  }
  return nullptr;
}

}  // namespace echolab
