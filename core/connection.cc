#include "core/connection.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "core/consumed_prefix.h"
#include "core/socket_util.h"
#include "core/work_offload.h"

namespace echolab {

std::string_view to_string(ReadMode mode) { return mode == ReadMode::kOnce ? "once" : "drain"; }
std::string_view to_string(WriteInterest interest) {
  return interest == WriteInterest::kAlways ? "always" : "on_demand";
}

Connection::Connection(EventLoop& loop, UniqueFd fd, const EchoOptions& options, CloseCallback on_close)
    : loop_(loop),
      fd_(std::move(fd)),
      options_(options),
      on_close_(std::move(on_close)),
      requests_(options.offload ? RequestCounter(options.work.message_bytes) : RequestCounter::for_work(options.work)) {
  if (options.send == SendMode::kZeroCopy) {
    // As many bytes as a copying echo may hold: max_pending in the process,
    // and a full send buffer in the kernel, which a zero-copy send leaves in
    // our chunks until the peer's ACK frees its packets. Chunks are
    // allocated as they are first needed.
    const size_t bytes = options.max_pending + tcp_send_buffer_max();
    const size_t chunks = (bytes + options.read_buffer - 1) / options.read_buffer;
    zerocopy_ = std::make_unique<ZeroCopyOutput>(options.read_buffer, chunks);
  }
}

Connection::~Connection() { abort_if_sending_zerocopy(); }

void Connection::abort_if_sending_zerocopy() {
  if (!zerocopy_ || !fd_.valid() || zerocopy_->sends_in_flight() == 0) return;
  // close() with SO_LINGER 0 resets the connection and frees its send queue
  // at once, so no queued packet still points into a chunk freed with us.
  try {
    set_linger_reset(fd_.get());
  } catch (const std::system_error&) {
    // The socket is already gone (an error closed it): nothing is queued.
  }
}

void Connection::bind_thread(ThreadCounters* counters, std::span<char> scratch) {
  counters_ = counters;
  scratch_ = scratch;
}

void Connection::start() {
  if (options_.nodelay) set_nodelay(fd_.get(), true);
  if (zerocopy_) enable_zerocopy(fd_.get());
  registered_ = wanted_events();
  loop_.add(fd_.get(), registered_, tag_);
}

uint32_t Connection::wanted_events() const {
  uint32_t events = 0;
  bool paused = pending_bytes() + held_bytes() >= options_.max_pending || (zerocopy_ && !zerocopy_->has_room());
  if (!peer_eof_ && !paused) events |= EPOLLIN | EPOLLRDHUP;
  if (pending_bytes() > 0 || options_.write_interest == WriteInterest::kAlways) events |= EPOLLOUT;
  events = with_trigger(events, options_.trigger);
  if (options_.oneshot) events |= EPOLLONESHOT;
  return events;
}

void Connection::update_interest() {
  uint32_t wanted = wanted_events();
  // A one-shot registration is disarmed after every event: always re-arm.
  if (wanted == registered_ && !options_.oneshot) return;
  if (options_.oneshot) {
    loop_.rearm_oneshot(fd_.get(), wanted, tag_);
  } else {
    loop_.modify(fd_.get(), wanted, tag_);
  }
  registered_ = wanted;
}

void Connection::on_events(uint32_t events) {
  if (closed()) return;
  if (!counters_) {
    handle_events_or_close(events);
    return;
  }
  // An event that moves no byte either way is the busy loop's signature.
  const uint64_t moved_before =
      counters_->bytes_in.load(std::memory_order_relaxed) + counters_->bytes_out.load(std::memory_order_relaxed);
  handle_events_or_close(events);
  bump(counters_->connection_events);
  if (counters_->bytes_in.load(std::memory_order_relaxed) + counters_->bytes_out.load(std::memory_order_relaxed) ==
      moved_before) {
    bump(counters_->idle_events);
  }
}

void Connection::handle_events_or_close(uint32_t events) {
  try {
    handle_events(events);
  } catch (const std::system_error&) {
    close_now(true);  // e.g. epoll_ctl refused a registration change: this connection ends, not the loop
  }
}

void Connection::handle_events(uint32_t events) {
  if (closed()) return;
  if (events & EPOLLERR) {
    // Zero-copy completions wake the socket with EPOLLERR too: read them; a
    // real error is still fatal.
    if (!zerocopy_ || !zerocopy_->read_completions(fd_.get(), *counters_) || take_socket_error(fd_.get()) != 0) {
      close_now(true);
      return;
    }
  }
  if ((events & EPOLLOUT) && pending_bytes() > 0 && !flush()) return;
  if (events & (EPOLLIN | EPOLLHUP | EPOLLRDHUP)) {
    if (!read_pass()) return;
  }
  if (finished()) {
    close_now(false);
    return;
  }
  if (!options_.oneshot) update_interest();
}

bool Connection::read_pass() {
  while (!peer_eof_ && pending_bytes() + held_bytes() < options_.max_pending) {
    // Zero-copy reads straight into the chunk the echo is sent from.
    const bool into_chunk = zerocopy_ && !options_.offload;
    const std::span<char> into = into_chunk ? zerocopy_->reserve() : scratch_;
    if (into.empty()) break;  // every chunk waits for a completion: EPOLLERR resumes
    ssize_t n = ::read(fd_.get(), into.data(), into.size());
    if (n > 0) {
      bump(counters_->bytes_in, static_cast<uint64_t>(n));
      bump(counters_->reads);
      if (options_.offload) {
        hold_for_offload(scratch_.data(), static_cast<size_t>(n));
        if (options_.read == ReadMode::kOnce) break;
        continue;
      }
      work_on_arrival(options_.work, requests_, *counters_, static_cast<size_t>(n));
      if (into_chunk) {
        zerocopy_->commit(static_cast<size_t>(n));
        if (!flush()) return false;
      } else if (!echo(scratch_.data(), static_cast<size_t>(n))) {
        return false;
      }
      if (options_.read == ReadMode::kOnce) break;
    } else if (n == 0) {
      peer_eof_ = true;
      if (options_.offload && unbatched_ > 0) {
        // A request cut short by the peer's close: echoed as it is, unworked.
        batches_.push_back({unbatched_, true});
        unbatched_ = 0;
        if (!release_worked_batches()) return false;
      }
    } else if (errno == EINTR) {
      continue;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      break;
    } else {
      close_now(true);
      return false;
    }
  }
  return true;
}

bool Connection::finished() const {
  return peer_eof_ && pending_bytes() == 0 && batches_.empty() && (!zerocopy_ || zerocopy_->sends_in_flight() == 0);
}

bool Connection::echo(const char* data, size_t length) {
  if (zerocopy_) {
    zerocopy_->append(data, length);
    return flush();
  }
  if (pending_bytes() == 0) {
    pending_.clear();
    pending_head_ = 0;
    ssize_t sent = send_some(data, length);
    if (sent < 0) return false;
    data += sent;
    length -= static_cast<size_t>(sent);
  }
  pending_.insert(pending_.end(), data, data + length);
  return true;
}

void Connection::hold_for_offload(const char* data, size_t length) {
  held_.insert(held_.end(), data, data + length);
  // Without a request size (a plain byte stream) each read is one request.
  const uint64_t requests = options_.work.message_bytes > 0 ? requests_.complete(length) : 1;
  if (requests == 0) {
    unbatched_ += length;
    return;
  }
  // Everything up to the end of the last request these bytes complete.
  const size_t batch = unbatched_ + length - requests_.partial_bytes();
  unbatched_ = requests_.partial_bytes();
  const uint64_t sequence = first_batch_ + batches_.size();
  batches_.push_back({batch, false});
  std::weak_ptr<Connection*> weak = self_;
  options_.offload->submit(requests, loop_, [weak, sequence] {
    if (auto self = weak.lock()) (*self)->on_offloaded_work_done(sequence);
  });
}

void Connection::on_offloaded_work_done(uint64_t sequence) {
  if (closed() || sequence < first_batch_) return;
  batches_[sequence - first_batch_].done = true;
  if (!release_worked_batches()) return;
  if (finished()) {
    close_now(false);
    return;
  }
  try {
    update_interest();
  } catch (const std::system_error&) {
    close_now(true);
  }
}

bool Connection::release_worked_batches() {
  while (!batches_.empty() && batches_.front().done) {
    const size_t bytes = batches_.front().bytes;
    batches_.pop_front();
    ++first_batch_;
    const char* data = held_.data() + held_head_;
    held_head_ += bytes;
    if (!echo(data, bytes)) return false;
  }
  drop_consumed_prefix(held_, held_head_);
  return true;
}

bool Connection::flush() {
  if (zerocopy_) {
    if (zerocopy_->flush(fd_.get(), *counters_)) return true;
    close_now(true);
    return false;
  }
  ssize_t sent = send_some(pending_.data() + pending_head_, pending_bytes());
  if (sent < 0) return false;
  pending_head_ += static_cast<size_t>(sent);
  drop_consumed_prefix(pending_, pending_head_);
  return true;
}

ssize_t Connection::send_some(const char* data, size_t length) {
  size_t sent = 0;
  while (sent < length) {
    ssize_t n = ::send(fd_.get(), data + sent, length - sent, MSG_NOSIGNAL);
    if (n > 0) {
      bump(counters_->bytes_out, static_cast<uint64_t>(n));
      bump(counters_->writes);
      sent += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      break;
    } else {
      close_now(true);
      return -1;
    }
  }
  return static_cast<ssize_t>(sent);
}

void Connection::close_now(bool error) {
  if (closed()) return;
  if (options_.oneshot) {
    loop_.remove_oneshot(fd_.get());
  } else {
    loop_.remove(fd_.get());
  }
  abort_if_sending_zerocopy();
  fd_.reset();
  if (counters_) {
    bump(counters_->closed);
    if (error) bump(counters_->errors);
  }
  if (on_close_) on_close_(this);
}

}  // namespace echolab
