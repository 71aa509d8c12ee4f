#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <vector>

#include "core/thread_counters.h"

namespace echolab {

/// Turns SO_ZEROCOPY on for `fd`; throws std::system_error if the kernel refuses.
void enable_zerocopy(int fd);
/// Whether this kernel takes SO_ZEROCOPY on a TCP socket (probed once, on a throw-away socket).
bool kernel_takes_zerocopy();
/// The most a TCP socket's send buffer may grow to (net.ipv4.tcp_wmem's
/// maximum; 4 MiB if unreadable): bytes a copying send may leave queued in
/// the kernel, which a zero-copy sender must be able to keep in flight too.
size_t tcp_send_buffer_max();

/// The pending output of one connection sent with MSG_ZEROCOPY (server.send
/// zerocopy): bytes are read straight into pooled chunks, sent from there, and
/// each chunk is kept until the kernel's completion notification for every
/// send that referenced it arrives on the socket's error queue; at most
/// `max_chunks` chunks exist. Owned by one Connection; called by whichever
/// thread currently serves that connection.
class ZeroCopyOutput {
 public:
  ZeroCopyOutput(size_t chunk_bytes, size_t max_chunks);

  /// Room to read into: the unfilled tail of the newest chunk, or a fresh
  /// chunk; empty when every chunk is waiting for sends or completions.
  std::span<char> reserve() { return reserve(max_chunks_); }
  /// `length` bytes were read into the span reserve() returned.
  void commit(size_t length);
  /// Copies `length` bytes in (offload_pool's worked batches). May exceed
  /// max_chunks by one batch: the connection stops reading while the pool is
  /// full, so what it holds is bounded by its max_pending.
  void append(const char* data, size_t length);
  /// Sends pending bytes until done or EAGAIN; false after a socket error
  /// (the caller closes).
  bool flush(int fd, ThreadCounters& counters);
  /// Reads every completion queued on the socket's error queue and frees the
  /// chunks no send needs any more; false if the queue held a real error.
  bool read_completions(int fd, ThreadCounters& counters);

  /// Bytes read but not yet sent.
  size_t pending_bytes() const { return pending_; }
  /// Whether reserve() would return room (the connection reads only then).
  bool has_room() const;
  /// Sends still waiting for their completion notification.
  size_t sends_in_flight() const { return in_flight_.size(); }

 private:
  struct Chunk {
    std::unique_ptr<char[]> data;
    size_t filled = 0;
    size_t sent = 0;
    size_t sends_outstanding = 0;  // zero-copy sends from this chunk not yet completed
  };
  struct Send {
    uint32_t id;  // the kernel's per-socket counter of zero-copy sends
    Chunk* chunk;
  };

  std::span<char> reserve(size_t chunk_limit);
  /// Marks the sends with ids first .. last (the kernel's inclusive,
  /// wrapping range) complete.
  void complete_range(uint32_t first, uint32_t last, bool copied, ThreadCounters& counters);
  /// Frees leading chunks that are fully sent and completed into the pool.
  void recycle();
  ssize_t send_from(int fd, Chunk& chunk, ThreadCounters& counters);

  size_t chunk_bytes_;
  size_t max_chunks_;
  std::deque<std::unique_ptr<Chunk>> chunks_;  // in stream order
  std::vector<std::unique_ptr<Chunk>> free_;   // recycled, reused before allocating
  size_t first_unsent_ = 0;                    // chunks_ before this index are wholly sent
  std::deque<Send> in_flight_;
  uint32_t next_send_id_ = 0;
  size_t pending_ = 0;
};

}  // namespace echolab
