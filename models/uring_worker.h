#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/cpu_binding.h"
#include "core/echo_options.h"
#include "core/started_thread.h"
#include "core/thread_counters.h"
#include "core/unique_fd.h"

struct io_uring;
struct io_uring_buf_ring;
struct io_uring_cqe;
struct io_uring_sqe;

namespace echolab {

/// How a UringWorker sets up and drives its ring: the io_uring model's
/// options (`echolab models`), so a sweep can show what each is worth; a
/// plain value.
struct UringSetup {
  /// Who runs the kernel's task work (a completion's second half):
  /// kDefer: IORING_SETUP_SINGLE_ISSUER | DEFER_TASKRUN, only when this
  ///   thread asks for completions (no signal, no lock with the other CPU);
  /// kCoop: SINGLE_ISSUER | COOP_TASKRUN | TASKRUN_FLAG, at the thread's next
  ///   kernel entry, without interrupting it;
  /// kSignal: no flag (the kernel's default): signalled to the thread at once.
  enum class TaskRun { kDefer, kCoop, kSignal };
  TaskRun task_run = TaskRun::kDefer;
  /// One recv submission serves every read of a connection (multishot), or
  /// one submission per read.
  bool multishot_recv = true;
  /// Submissions go to the kernel once per loop turn, with the wait
  /// (batched), or each as soon as it is prepared.
  bool submit_batched = true;
};

/// One thread with its own io_uring, provided-buffer ring and connections;
/// everything but start()/stop() (controlling thread) runs on that thread.
class UringWorker {
 public:
  UringWorker(int listen_fd, const EchoOptions& options, const UringSetup& setup, ThreadCounters& counters,
              CpuList cpus);
  ~UringWorker();
  /// Starts the thread; returns once its ring is ready. Throws
  /// ModelUnavailable when the kernel refuses io_uring or its features.
  void start();
  void stop();

 private:
  struct Connection;
  enum class OpKind : uint8_t { kAccept, kRecv, kSend, kWake };

  void setup();
  void run();
  void teardown();
  void handle(io_uring_cqe* cqe);
  io_uring_sqe* next_sqe();
  /// After an SQE is prepared: submits it now unless submissions are batched.
  void submitted();
  void arm_accept();
  void arm_wake();
  void arm_recv(Connection& connection);
  void send_next(Connection& connection);
  void on_accept(int result, bool more);
  void on_recv(Connection& connection, int result, uint32_t flags);
  void on_send(Connection& connection, int result);
  void return_buffer(uint16_t id);
  void maybe_close(Connection& connection);
  uint64_t tag(OpKind kind, Connection* connection) const;

  int listen_fd_;
  EchoOptions options_;
  UringSetup setup_;
  ThreadCounters& counters_;
  CpuList cpus_;
  std::unique_ptr<io_uring> ring_;
  io_uring_buf_ring* buffer_ring_ = nullptr;
  std::vector<char> buffer_memory_;
  unsigned buffer_count_ = 0;
  unsigned free_buffers_ = 0;  // in the ring, available to the kernel
  size_t buffer_size_ = 0;
  UniqueFd wake_fd_;
  uint64_t wake_value_ = 0;
  std::atomic<bool> stopping_{false};
  std::unordered_map<Connection*, std::unique_ptr<Connection>> connections_;
  std::vector<Connection*> starved_;  // recv stopped for lack of buffers
  StartedThread thread_;
};

}  // namespace echolab
