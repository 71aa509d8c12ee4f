#include "harness/load/request_workloads.h"

#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>
#include <system_error>

#include "core/consumed_prefix.h"
#include "harness/load/request_socket.h"

namespace echolab {
namespace {

constexpr uint32_t kMagic = 0xEC40'1AB5;
constexpr size_t kPatternPeriod = 251;  // prime: consecutive requests start at different places
constexpr uint64_t kBehindScheduleNs = 1'000'000;
constexpr uint64_t kMinTimerGapNs = 10'000;  // the open loop's timer fires at most every 10 us

void put_u64(char* out, uint64_t value) { std::memcpy(out, &value, sizeof value); }
void put_u32(char* out, uint32_t value) { std::memcpy(out, &value, sizeof value); }
uint64_t get_u64(const char* in) {
  uint64_t value;
  std::memcpy(&value, in, sizeof value);
  return value;
}
uint32_t get_u32(const char* in) {
  uint32_t value;
  std::memcpy(&value, in, sizeof value);
  return value;
}

}  // namespace

MessageFormat::MessageFormat(size_t bytes) : bytes_(bytes), pattern_(bytes + kPatternPeriod) {
  for (size_t i = 0; i < pattern_.size(); ++i) pattern_[i] = static_cast<char>('a' + i % 26);
}

const char* MessageFormat::body(uint64_t seq) const { return pattern_.data() + seq % kPatternPeriod; }

void MessageFormat::write(uint64_t seq, uint32_t connection, char* out) const {
  put_u64(out, seq);
  put_u32(out + 8, connection);
  put_u32(out + 12, kMagic ^ static_cast<uint32_t>(bytes_));
  std::memcpy(out + kMinBytes, body(seq), bytes_ - kMinBytes);
}

std::string MessageFormat::check(uint64_t seq, uint32_t connection, const char* in) const {
  if (get_u32(in + 12) != (kMagic ^ static_cast<uint32_t>(bytes_))) return "echo is not a request header (torn echo)";
  if (get_u32(in + 8) != connection) {
    return "echo belongs to connection " + std::to_string(get_u32(in + 8)) + " (crossed connections)";
  }
  if (get_u64(in) != seq) return "echo of request " + std::to_string(get_u64(in)) + " arrived instead (reordered)";
  if (std::memcmp(in + kMinBytes, body(seq), bytes_ - kMinBytes) != 0) return "echo body differs from the request";
  return "";
}

RequestSocket::RequestSocket(UniqueFd fd, int index, ClientThreadContext& context)
    : fd_(std::move(fd)),
      index_(index),
      context_(context),
      recorder_(context.requests),
      timing_(context.config.options.flag("timing")),
      format_(shared_instance<MessageFormat>(context.config.message_bytes, context.config.message_bytes)),
      assembler_(context.config.message_bytes) {
  set_nodelay(fd_.get(), true);  // requests go out at once, as neper and sockperf send them
}

void RequestSocket::queue_request(uint64_t started_ns) {
  const size_t at = out_.size();
  out_.resize(at + format_.bytes());
  format_.write(next_seq_++, static_cast<uint32_t>(index_), out_.data() + at);
  inflight_.push_back({started_ns, 0});
}

void RequestSocket::stamp_sent(uint64_t now_ns) {
  for (size_t i = std::max(unstamped_, inflight_head_); i < inflight_.size(); ++i) inflight_[i].sent_ns = now_ns;
  unstamped_ = inflight_.size();
}

void RequestSocket::censor_unanswered(uint64_t at_ns) {
  for (size_t i = inflight_head_; i < inflight_.size(); ++i) {
    bump(recorder_.unanswered);
    // Untimed requests (load.timing false) carry no start time: counted, no age.
    if (!timing_) continue;
    const uint64_t started = inflight_[i].started_ns;
    recorder_.unanswered_age.record(at_ns > started ? at_ns - started : 0);
  }
}

bool RequestSocket::flush() {
  while (fd_ && out_offset_ < out_.size()) {
    ssize_t n = ::send(fd_.get(), out_.data() + out_offset_, out_.size() - out_offset_, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      out_offset_ += static_cast<size_t>(n);
      bump(context_.counters.bytes_out, static_cast<uint64_t>(n));
      bump(context_.counters.writes);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && errno == EAGAIN) {
      break;
    } else {
      fail(std::string("send: ") + std::strerror(errno));
      return false;
    }
  }
  drop_consumed_prefix(out_, out_offset_);
  return static_cast<bool>(fd_);
}

bool RequestSocket::take_response(const char* message, uint64_t now) {
  if (in_flight() == 0) {
    fail("an echo arrived for request " + std::to_string(expected_seq_) + ", which was never sent");
    return false;
  }
  if (std::string error = format_.check(expected_seq_, static_cast<uint32_t>(index_), message); !error.empty()) {
    fail("request " + std::to_string(expected_seq_) + ": echo mismatch: " + error);
    return false;
  }
  ++expected_seq_;
  const InFlight request = inflight_[inflight_head_++];
  if (inflight_head_ == inflight_.size()) {
    inflight_.clear();
    inflight_head_ = 0;
    unstamped_ = 0;
  } else if (inflight_head_ > 4096 && inflight_head_ > inflight_.size() / 2) {
    inflight_.erase(inflight_.begin(), inflight_.begin() + static_cast<std::ptrdiff_t>(inflight_head_));
    unstamped_ -= std::min(unstamped_, inflight_head_);
    inflight_head_ = 0;
  }
  bump(recorder_.completed);
  const uint64_t started = request.started_ns;
  if (timing_) {
    recorder_.latency.record(now > started ? now - started : 0);
    // The open loop's uncorrected latency: from the actual send.
    if (request.sent_ns != 0) recorder_.uncorrected.record(now > request.sent_ns ? now - request.sent_ns : 0);
  }
  on_response(started, now);
  return static_cast<bool>(fd_);
}

void RequestSocket::read_responses() {
  std::vector<char>& scratch = context_.scratch;
  while (fd_ && !stop_reading_) {
    // A blocking socket (serve_alone) waits here only when every request
    // is on the wire; otherwise the read must not hold back the sends.
    const int flags = blocking_ && unsent_bytes() == 0 ? 0 : MSG_DONTWAIT;
    ssize_t n = ::recv(fd_.get(), scratch.data(), scratch.size(), flags);
    bump(context_.counters.reads);  // every read() call, EAGAIN included: the syscalls a request costs
    if (n > 0) {
      bump(received_, static_cast<uint64_t>(n));
      bump(context_.counters.bytes_in, static_cast<uint64_t>(n));
      const uint64_t now = now_if_timing();
      assembler_.feed(scratch.data(), static_cast<size_t>(n),
                      [&](const char* message) { return take_response(message, now); });
      // Every request on the wire is answered, the last answer whole (any
      // still in flight were queued by on_response and not yet sent):
      // nothing more can come until the next send, so no read() just to hear
      // EAGAIN (a ping-pong costs epoll_wait, read, send). Bytes the server
      // sends anyway arrive with a new edge and fail the echo check.
      if (assembler_.partial_bytes() == 0 && unsent_bytes() == in_flight() * format_.bytes()) return;
    } else if (n == 0) {
      if (in_flight() > 0) {
        fail("server closed the connection with request " + std::to_string(expected_seq_) + " in flight (" +
             std::to_string(assembler_.partial_bytes()) + " of " + std::to_string(format_.bytes()) + " bytes echoed)");
      } else {
        fail("server closed the connection");
      }
      return;
    } else if (errno == EINTR) {
      continue;
    } else if (errno == EAGAIN) {
      return;
    } else {
      fail(std::string("read: ") + std::strerror(errno));
      return;
    }
  }
}

void RequestSocket::handle_events(uint32_t events) {
  if (!fd_) return;
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) read_responses();
  if (fd_ && (events & EPOLLERR)) {
    int error = 0;
    socklen_t length = sizeof error;
    getsockopt(fd_.get(), SOL_SOCKET, SO_ERROR, &error, &length);
    fail(std::string("socket error: ") + std::strerror(error));
    return;
  }
  if (fd_) flush();
}

void RequestSocket::serve_alone() {
  if (!fd_) return;
  EventLoop& loop = context_.loop;
  loop.remove(fd_.get());
  set_nonblocking(fd_.get(), false);
  set_receive_timeout(fd_.get(), kAloneCheckMs);
  blocking_ = true;
  for (uint64_t turn = 1; fd_ && !loop.stop_requested(); ++turn) {
    if (unsent_bytes() == 0) {
      read_responses();  // waits in recv() for the echo, or kAloneCheckMs
      if (fd_) flush();
    } else {
      pollfd wait{fd_.get(), POLLIN | POLLOUT | POLLRDHUP, 0};
      if (::poll(&wait, 1, kAloneCheckMs) > 0) handle_events(static_cast<uint32_t>(wait.revents));
    }
    if (loop.has_posted_tasks()) loop.run_posted_tasks();  // the window's census
    if ((turn & 63) == 0) context_.counters.note_cpu();    // as the loop notes it every 64 wake-ups
  }
}

void RequestSocket::fail(const std::string& why) {
  if (!fd_) return;
  bump(context_.counters.errors);
  if (context_.first_error.empty()) context_.first_error = "connection " + std::to_string(index_) + ": " + why;
  if (!blocking_) context_.loop.remove(fd_.get());  // serve_alone took it out of the loop
  fd_.reset();
  bump(context_.counters.closed);
}

void RequestSocket::replace_socket(UniqueFd fd) {
  if (fd_) context_.loop.remove(fd_.get());
  fd_ = std::move(fd);
  set_nodelay(fd_.get(), true);
  out_.clear();
  out_offset_ = 0;
}

namespace {

/// rr: keeps load.depth requests in flight; each response sends the next
/// request at once (closed loop: 1 = ping-pong, more = pipelining).
/// Client thread only.
class ClosedLoopConnection : public RequestSocket {
 public:
  using RequestSocket::RequestSocket;

  void start() override {
    context_.loop.add(fd_.get(), EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, this);
    const uint64_t now = now_if_timing();
    for (long long i = 0; i < context_.config.options.integer("depth"); ++i) queue_request(now);
    flush();
  }
  void on_events(uint32_t events) override { handle_events(events); }
  /// Ping-pong (depth 1) alone on its thread waits in recv(), as a blocking
  /// client does; deeper pipelines stay in the loop.
  void run_alone() override {
    if (context_.config.options.integer("depth") == 1) serve_alone();
  }

 protected:
  void on_response(uint64_t, uint64_t now_ns) override { queue_request(now_ns); }
};

/// open: sends a request when the thread's schedule hands it one; its
/// latency counts from the request's intended send time. What a connection
/// may hold is capped (kMaxUnsentBytes queued unsent, kMaxInFlight
/// requests unanswered): a request due beyond that is not sent and counted
/// (requests_not_sent), so the client's memory stays bounded at any offered
/// rate. Client thread only.
class OpenLoopConnection : public RequestSocket {
 public:
  using RequestSocket::RequestSocket;

  void start() override { context_.loop.add(fd_.get(), EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, this); }
  void on_events(uint32_t events) override { handle_events(events); }
  /// Queues a request; false (not sent) when the connection failed or holds
  /// its cap. The schedule sends once per connection per batch.
  bool queue(uint64_t intended_ns) {
    if (failed() || unsent_bytes() >= kMaxUnsentBytes || in_flight() >= kMaxInFlight) return false;
    queue_request(intended_ns);
    return true;
  }
  /// Hands the queued bytes to the socket; the requests queued since the
  /// last send are stamped as sent now (their uncorrected latency's start).
  void send_queued(uint64_t now_ns) {
    if (failed()) return;
    stamp_sent(now_ns);
    flush();
  }

  static constexpr size_t kMaxUnsentBytes = 256 * 1024;
  static constexpr size_t kMaxInFlight = 16384;

 protected:
  void on_response(uint64_t, uint64_t) override {}
};

/// The open loop's arrival schedule for one client thread: load.rate /
/// load.threads requests per second, evenly spaced (uniform, threads
/// staggered) or with exponential gaps (poisson, from the trial's seed),
/// handed round-robin to the thread's connections when a timerfd says their
/// time has come. Timer slack is set to 1 ns so sends are not batched late;
/// the timer fires at most every kMinTimerGapNs, and everything due by then
/// goes out with one send() per connection, so high rates cost the client a
/// wake-up per batch, not per request. A batch holds at most kMaxBatch
/// requests: a schedule that has fallen behind goes back to the loop (and
/// reads responses) between batches instead of queueing all it owes at once.
/// Client thread only.
class OpenLoopSchedule : public WorkloadThreadDriver, public EventHandler {
 public:
  OpenLoopSchedule(ClientThreadContext& context, const ThreadConnections& connections)
      : context_(context),
        random_(static_cast<uint64_t>(context.config.options.integer("seed")) * 0x9e3779b97f4a7c15ULL +
                static_cast<uint64_t>(context.thread_index)) {
    for (auto* connection : connections) connections_.push_back(static_cast<OpenLoopConnection*>(connection));
    is_touched_.assign(connections_.size(), false);
    const double per_thread = context.config.options.number("rate") / context.config.threads;
    gap_ns_ = 1e9 / per_thread;
    poisson_ = context.config.options.text("arrival") == "poisson";
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    timer_ = UniqueFd(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
    if (!timer_) throw std::system_error(errno, std::generic_category(), "timerfd_create");
    // Threads start staggered by one gap over the total rate, so their
    // uniform schedules interleave into one.
    next_ns_ = static_cast<double>(monotonic_ns()) + gap_ns_ * context.thread_index / context.config.threads;
    context_.loop.add(timer_.get(), EPOLLIN, this);
    arm(0);
  }
  ~OpenLoopSchedule() override { context_.loop.remove(timer_.get()); }

  /// Requests more than kBehindScheduleNs overdue that the schedule had not
  /// handed out by `at_ns` (the client fell behind): never sent in the
  /// window, so counted as not sent; for Poisson arrivals the expected count
  /// (the time owed over the mean gap).
  void censor_unanswered(uint64_t at_ns) override {
    const double overdue_before = static_cast<double>(at_ns) - static_cast<double>(kBehindScheduleNs);
    if (next_ns_ > overdue_before) return;
    const auto owed = static_cast<uint64_t>((overdue_before - next_ns_) / gap_ns_) + 1;
    bump(context_.requests.scheduled, owed);
    bump(context_.requests.not_sent, owed);
    next_ns_ += static_cast<double>(owed) * gap_ns_;
  }

  void on_events(uint32_t) override {
    uint64_t expirations;
    while (::read(timer_.get(), &expirations, sizeof expirations) < 0 && errno == EINTR) {
    }
    const uint64_t now = monotonic_ns();
    touched_.clear();
    std::fill(is_touched_.begin(), is_touched_.end(), false);
    batch_.clear();
    while (next_ns_ <= static_cast<double>(now) && batch_.size() < kMaxBatch && !context_.loop.stop_requested()) {
      const auto intended = static_cast<uint64_t>(next_ns_);
      bump(context_.requests.scheduled);
      OpenLoopConnection* connection = connections_[next_connection_];
      if (connection->queue(intended)) {
        batch_.push_back(intended);
        if (!is_touched_[next_connection_]) {
          is_touched_[next_connection_] = true;
          touched_.push_back(connection);
        }
      } else {
        bump(context_.requests.not_sent);
      }
      next_connection_ = (next_connection_ + 1) % connections_.size();
      next_ns_ += poisson_ ? exponential_(random_) * gap_ns_ : gap_ns_;
    }
    const uint64_t sent_at = monotonic_ns();
    for (auto* connection : touched_) connection->send_queued(sent_at);
    // The lag is stamped at the send, not when the request was queued.
    for (uint64_t intended : batch_) {
      const uint64_t lag = sent_at > intended ? sent_at - intended : 0;
      context_.requests.send_lag.record(lag);
      if (lag > kBehindScheduleNs) bump(context_.requests.behind_schedule);
    }
    // Behind: the next batch right after the loop has read what came back.
    if (next_ns_ <= static_cast<double>(now)) {
      arm_at(1);  // an absolute time long past: at once
    } else {
      arm(now);
    }
  }

 private:
  static constexpr size_t kMaxBatch = 1024;

  /// Fires at the next request's time, kMinTimerGapNs after `now` at the earliest.
  void arm(uint64_t now) { arm_at(std::max(static_cast<uint64_t>(next_ns_), now + kMinTimerGapNs)); }
  void arm_at(uint64_t at) {
    itimerspec when{};
    when.it_value.tv_sec = static_cast<time_t>(at / 1'000'000'000u);
    when.it_value.tv_nsec = static_cast<long>(at % 1'000'000'000u);
    timerfd_settime(timer_.get(), TFD_TIMER_ABSTIME, &when, nullptr);
  }

  ClientThreadContext& context_;
  std::vector<OpenLoopConnection*> connections_;
  std::vector<OpenLoopConnection*> touched_;  // connections with requests queued in this batch
  std::vector<bool> is_touched_;              // by position in connections_: in touched_
  std::vector<uint64_t> batch_;               // intended times of the requests queued in this batch
  size_t next_connection_ = 0;
  double gap_ns_ = 0;
  double next_ns_ = 0;
  bool poisson_ = false;
  std::mt19937_64 random_;
  std::exponential_distribution<double> exponential_{1.0};
  UniqueFd timer_;
};

}  // namespace

std::unique_ptr<WorkloadConnection> connect_rr(UniqueFd fd, int index, ClientThreadContext& context) {
  return std::make_unique<ClosedLoopConnection>(std::move(fd), index, context);
}

std::unique_ptr<WorkloadConnection> connect_open(UniqueFd fd, int index, ClientThreadContext& context) {
  return std::make_unique<OpenLoopConnection>(std::move(fd), index, context);
}

std::unique_ptr<WorkloadThreadDriver> drive_open(ClientThreadContext& context, const ThreadConnections& connections) {
  if (connections.empty()) return nullptr;
  return std::make_unique<OpenLoopSchedule>(context, connections);
}

}  // namespace echolab
