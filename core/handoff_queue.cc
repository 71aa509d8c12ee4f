#include "core/handoff_queue.h"

#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "core/monotonic_clock.h"

namespace echolab {

HandoffQueue::HandoffQueue(size_t capacity) : slots_(capacity + 1), wake_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (!wake_fd_) throw std::system_error(errno, std::generic_category(), "eventfd");
}

HandoffQueue::~HandoffQueue() {
  // Sockets never adopted are closed here.
  for (size_t i = head_.load(); i != tail_.load(); i = (i + 1) % slots_.size()) ::close(slots_[i].fd);
}

uint64_t HandoffQueue::now_ns() { return monotonic_ns(); }

bool HandoffQueue::push(UniqueFd& fd, uint64_t accepted_at_ns) {
  const size_t tail = tail_.load(std::memory_order_relaxed);
  const size_t next = (tail + 1) % slots_.size();
  if (next == head_.load(std::memory_order_acquire)) return false;
  slots_[tail] = {fd.release(), accepted_at_ns};
  tail_.store(next, std::memory_order_release);
  uint64_t one = 1;
  while (::write(wake_fd_.get(), &one, sizeof one) < 0 && errno == EINTR) {
  }
  return true;
}

void HandoffQueue::attach(EchoWorker& worker) {
  worker_ = &worker;
  worker.loop().add(wake_fd_.get(), EPOLLIN, this);
}

void HandoffQueue::detach() {
  if (worker_) worker_->loop().remove(wake_fd_.get());
  worker_ = nullptr;
}

void HandoffQueue::on_events(uint32_t) {
  uint64_t value;
  while (::read(wake_fd_.get(), &value, sizeof value) < 0 && errno == EINTR) {
  }
  ThreadCounters& counters = worker_->counters();
  size_t head = head_.load(std::memory_order_relaxed);
  while (head != tail_.load(std::memory_order_acquire)) {
    Item item = slots_[head];
    head = (head + 1) % slots_.size();
    head_.store(head, std::memory_order_release);
    worker_->adopt(UniqueFd(item.fd));
    bump(counters.handoffs);
    bump(counters.handoff_ns, now_ns() - item.accepted_at_ns);
  }
}

std::optional<size_t> push_to_first_with_room(std::vector<std::unique_ptr<HandoffQueue>>& queues, size_t first,
                                              UniqueFd& fd, ThreadCounters& counters) {
  const uint64_t accepted_at = HandoffQueue::now_ns();
  for (size_t attempt = 0; attempt < queues.size(); ++attempt) {
    const size_t index = (first + attempt) % queues.size();
    if (queues[index]->push(fd, accepted_at)) return index;
  }
  bump(counters.dropped);
  fd.reset();
  return std::nullopt;
}

}  // namespace echolab
