#include "models/uring_worker.h"

#include <liburing.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "core/socket_util.h"
#include "models/server_model.h"

namespace echolab {
namespace {

constexpr unsigned kQueueDepth = 512;
constexpr unsigned kCompletionDepth = 8192;
constexpr uint16_t kBufferGroup = 1;

}  // namespace

/// One accepted socket: the received buffers waiting to be sent back, in
/// order, and how many io_uring operations still reference it.
struct alignas(8) UringWorker::Connection {
  int fd;
  struct Chunk {
    uint16_t buffer_id;
    uint32_t offset;
    uint32_t length;
  };
  std::deque<Chunk> outgoing;
  RequestCounter requests;  // work per request: where the next request ends
  bool recv_armed = false;
  bool send_in_flight = false;
  bool closing = false;
};

UringWorker::UringWorker(int listen_fd, const EchoOptions& options, const UringSetup& setup, ThreadCounters& counters,
                         CpuList cpus)
    : listen_fd_(listen_fd), options_(options), setup_(setup), counters_(counters), cpus_(std::move(cpus)) {}

UringWorker::~UringWorker() { stop(); }

uint64_t UringWorker::tag(OpKind kind, Connection* connection) const {
  return reinterpret_cast<uint64_t>(connection) | static_cast<uint64_t>(kind);
}

void UringWorker::start() {
  thread_.start(
      [this] {
        try {
          bind_current_thread(cpus_);
          counters_.attach_current_thread();
          setup();
        } catch (...) {
          teardown();
          throw;
        }
      },
      [this] {
        run();
        teardown();
      });
}

void UringWorker::setup() {
  ring_ = std::make_unique<io_uring>();
  io_uring_params params{};
  // Room for a multishot recv's completions of every connection between two
  // loop turns; an overflow is kept by the kernel (FEAT_NODROP), not lost.
  params.flags = IORING_SETUP_CQSIZE;
  params.cq_entries = kCompletionDepth;
  const char* task_run_flags = "";
  switch (setup_.task_run) {
    case UringSetup::TaskRun::kDefer:
      params.flags |= IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
      task_run_flags = " with SINGLE_ISSUER|DEFER_TASKRUN (Linux 6.1+; server.task_run coop or signal do without)";
      break;
    case UringSetup::TaskRun::kCoop:
      params.flags |= IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
      task_run_flags = " with SINGLE_ISSUER|COOP_TASKRUN (Linux 6.0+; server.task_run signal does without)";
      break;
    case UringSetup::TaskRun::kSignal:
      break;
  }
  if (int rc = io_uring_queue_init_params(kQueueDepth, ring_.get(), &params); rc < 0) {
    ring_.reset();
    throw ModelUnavailable(std::string("io_uring: io_uring_queue_init refused") + task_run_flags + ": " +
                           std::strerror(-rc) + " (kernel without io_uring, or kernel.io_uring_disabled set)");
  }
  // Provided buffers: ~8 MiB per thread, a power of two in 8..8192. Every
  // connection's receive draws from this one pool, so small buffers (a
  // small read_buffer) buy many more of them: with 10,000 connections, 256
  // buffers left some connections waiting for seconds.
  buffer_size_ = options_.read_buffer;
  buffer_count_ = 8192;
  while (buffer_count_ > 8 && buffer_count_ * buffer_size_ > (8u << 20)) buffer_count_ /= 2;
  buffer_memory_.resize(buffer_count_ * buffer_size_);
  void* ring_memory = nullptr;
  if (posix_memalign(&ring_memory, 4096, buffer_count_ * sizeof(io_uring_buf)) != 0) throw std::bad_alloc();
  buffer_ring_ = static_cast<io_uring_buf_ring*>(ring_memory);
  io_uring_buf_ring_init(buffer_ring_);
  io_uring_buf_reg registration{};
  registration.ring_addr = reinterpret_cast<uint64_t>(buffer_ring_);
  registration.ring_entries = buffer_count_;
  registration.bgid = kBufferGroup;
  if (int rc = io_uring_register_buf_ring(ring_.get(), &registration, 0); rc < 0) {
    throw ModelUnavailable(std::string("io_uring: provided buffer rings refused (needs Linux 5.19+): ") +
                           std::strerror(-rc));
  }
  for (unsigned id = 0; id < buffer_count_; ++id) {
    io_uring_buf_ring_add(buffer_ring_, buffer_memory_.data() + id * buffer_size_, static_cast<unsigned>(buffer_size_),
                          static_cast<unsigned short>(id), io_uring_buf_ring_mask(buffer_count_), static_cast<int>(id));
  }
  io_uring_buf_ring_advance(buffer_ring_, static_cast<int>(buffer_count_));
  free_buffers_ = buffer_count_;
  wake_fd_.reset(eventfd(0, EFD_CLOEXEC));
  if (!wake_fd_) throw std::system_error(errno, std::generic_category(), "eventfd");
  arm_wake();
  arm_accept();
  io_uring_submit(ring_.get());
}

void UringWorker::run() {
  while (!stopping_.load(std::memory_order_acquire)) {
    io_uring_cqe* cqe = nullptr;
    // Spinning enters the kernel without waiting: it submits, runs the
    // deferred task work (DEFER_TASKRUN posts completions only then) and
    // returns at once.
    int rc = options_.wait == LoopWait::kSpin ? io_uring_submit_and_get_events(ring_.get())
                                              : io_uring_submit_and_wait(ring_.get(), 1);
    if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) {
      bump(counters_.errors);
      break;
    }
    unsigned head, seen = 0;
    io_uring_for_each_cqe(ring_.get(), head, cqe) {
      handle(cqe);
      ++seen;
    }
    io_uring_cq_advance(ring_.get(), seen);
    if (seen == 0) {
      bump(counters_.empty_polls);
      continue;
    }
    bump(counters_.wakeups);
    if ((counters_.wakeups.load(std::memory_order_relaxed) & 63) == 0) counters_.note_cpu();
    bump(counters_.events, seen);
  }
}

void UringWorker::teardown() {
  if (ring_) {
    io_uring_queue_exit(ring_.get());  // cancels every pending operation
    ring_.reset();
  }
  for (auto& [raw, connection] : connections_) ::close(connection->fd);
  connections_.clear();
  free(buffer_ring_);
  buffer_ring_ = nullptr;
}

void UringWorker::stop() {
  if (!thread_.running()) return;
  stopping_.store(true, std::memory_order_release);
  uint64_t one = 1;
  while (::write(wake_fd_.get(), &one, sizeof one) < 0 && errno == EINTR) {
  }
  thread_.join();
}

io_uring_sqe* UringWorker::next_sqe() {
  io_uring_sqe* sqe = io_uring_get_sqe(ring_.get());
  if (!sqe) {
    // Submission queue full: hand what is queued to the kernel, then retry.
    io_uring_submit(ring_.get());
    sqe = io_uring_get_sqe(ring_.get());
  }
  if (!sqe) throw std::runtime_error("io_uring: submission queue full");
  return sqe;
}

void UringWorker::submitted() {
  if (!setup_.submit_batched) io_uring_submit(ring_.get());
}

void UringWorker::arm_accept() {
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_multishot_accept(sqe, listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
  io_uring_sqe_set_data64(sqe, tag(OpKind::kAccept, nullptr));
}

void UringWorker::arm_wake() {
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_read(sqe, wake_fd_.get(), &wake_value_, sizeof wake_value_, 0);
  io_uring_sqe_set_data64(sqe, tag(OpKind::kWake, nullptr));
}

void UringWorker::arm_recv(Connection& connection) {
  io_uring_sqe* sqe = next_sqe();
  if (setup_.multishot_recv) {
    io_uring_prep_recv_multishot(sqe, connection.fd, nullptr, 0, 0);
  } else {
    io_uring_prep_recv(sqe, connection.fd, nullptr, buffer_size_, 0);
  }
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = kBufferGroup;
  io_uring_sqe_set_data64(sqe, tag(OpKind::kRecv, &connection));
  connection.recv_armed = true;
  submitted();
}

void UringWorker::send_next(Connection& connection) {
  if (connection.send_in_flight || connection.outgoing.empty()) return;
  const auto& chunk = connection.outgoing.front();
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_send(sqe, connection.fd, buffer_memory_.data() + chunk.buffer_id * buffer_size_ + chunk.offset,
                     chunk.length, MSG_NOSIGNAL);
  io_uring_sqe_set_data64(sqe, tag(OpKind::kSend, &connection));
  connection.send_in_flight = true;
  submitted();
}

void UringWorker::handle(io_uring_cqe* cqe) {
  const uint64_t data = io_uring_cqe_get_data64(cqe);
  const auto kind = static_cast<OpKind>(data & 7);
  auto* connection = reinterpret_cast<Connection*>(data & ~uint64_t{7});
  switch (kind) {
    case OpKind::kWake:
      if (!stopping_.load(std::memory_order_acquire)) arm_wake();
      break;
    case OpKind::kAccept:
      on_accept(cqe->res, cqe->flags & IORING_CQE_F_MORE);
      break;
    case OpKind::kRecv:
      on_recv(*connection, cqe->res, cqe->flags);
      break;
    case OpKind::kSend:
      on_send(*connection, cqe->res);
      break;
  }
}

void UringWorker::on_accept(int result, bool more) {
  if (result >= 0) {
    auto connection = std::make_unique<Connection>(Connection{result, {}, RequestCounter::for_work(options_.work)});
    if (options_.nodelay) set_nodelay(result, true);
    bump(counters_.accepted);
    arm_recv(*connection);
    connections_.emplace(connection.get(), std::move(connection));
  } else if (result != -EAGAIN) {
    bump(counters_.errors);
  }
  if (!more && !stopping_.load()) arm_accept();
}

void UringWorker::on_recv(Connection& connection, int result, uint32_t flags) {
  if (!(flags & IORING_CQE_F_MORE)) connection.recv_armed = false;
  if (result > 0) {
    const auto id = static_cast<uint16_t>(flags >> IORING_CQE_BUFFER_SHIFT);
    --free_buffers_;
    bump(counters_.reads);
    bump(counters_.bytes_in, static_cast<uint64_t>(result));
    work_on_arrival(options_.work, connection.requests, counters_, static_cast<size_t>(result));
    connection.outgoing.push_back({id, 0, static_cast<uint32_t>(result)});
    send_next(connection);
    if (!connection.recv_armed && !connection.closing) arm_recv(connection);
  } else if (result == -ENOBUFS) {
    // Every buffer was waiting to be sent back. One may have returned since
    // (a send completion handled before this one): re-arm now, or when one
    // returns.
    if (free_buffers_ > 0) {
      if (!connection.closing) arm_recv(connection);
    } else {
      starved_.push_back(&connection);
    }
  } else {
    if (result < 0) bump(counters_.errors);
    connection.closing = true;  // EOF or error: finish sending, then close
  }
  maybe_close(connection);
}

void UringWorker::on_send(Connection& connection, int result) {
  connection.send_in_flight = false;
  if (result <= 0) {
    bump(counters_.errors);
    connection.closing = true;
    ::shutdown(connection.fd, SHUT_RDWR);  // ends the armed recv
  } else {
    bump(counters_.writes);
    bump(counters_.bytes_out, static_cast<uint64_t>(result));
    auto& chunk = connection.outgoing.front();
    chunk.offset += static_cast<uint32_t>(result);
    chunk.length -= static_cast<uint32_t>(result);
    if (chunk.length == 0) {
      return_buffer(chunk.buffer_id);
      connection.outgoing.pop_front();
    }
    send_next(connection);
  }
  maybe_close(connection);
}

void UringWorker::return_buffer(uint16_t id) {
  io_uring_buf_ring_add(buffer_ring_, buffer_memory_.data() + id * buffer_size_, static_cast<unsigned>(buffer_size_),
                        id, io_uring_buf_ring_mask(buffer_count_), 0);
  io_uring_buf_ring_advance(buffer_ring_, 1);
  ++free_buffers_;
  for (Connection* starved : starved_) {
    if (!starved->recv_armed && !starved->closing) arm_recv(*starved);
  }
  starved_.clear();
}

void UringWorker::maybe_close(Connection& connection) {
  if (!connection.closing) return;
  if (connection.send_in_flight || connection.recv_armed) return;
  if (!connection.outgoing.empty()) {
    // A failed send: its buffers go back to the ring unsent.
    for (const auto& chunk : connection.outgoing) return_buffer(chunk.buffer_id);
    connection.outgoing.clear();
  }
  ::close(connection.fd);
  bump(counters_.closed);
  std::erase(starved_, &connection);
  connections_.erase(&connection);
}

}  // namespace echolab
