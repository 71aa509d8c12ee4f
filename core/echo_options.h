#pragma once

#include <cstddef>
#include <string_view>

#include "core/event_loop.h"
#include "core/poller.h"
#include "core/request_work.h"

namespace echolab {

class WorkOffload;

enum class ReadMode { kOnce, kDrain };
enum class WriteInterest { kOnDemand, kAlways };
/// How echoes are sent (server.send): plain copying send(), or MSG_ZEROCOPY.
enum class SendMode { kCopy, kZeroCopy };

/// The per-connection axes shared by every epoll model; a plain value.
struct EchoOptions {
  Trigger trigger = Trigger::kEdge;
  ReadMode read = ReadMode::kDrain;
  WriteInterest write_interest = WriteInterest::kOnDemand;
  size_t read_buffer = 65536;
  /// Bytes of echo output a connection may hold while its peer is not
  /// reading; past this it stops reading until the socket drains.
  size_t max_pending = 256 * 1024;
  bool nodelay = false;
  SendMode send = SendMode::kCopy;
  /// How the serving loops wait for events (server.wait), and how many
  /// events each epoll_wait fetches at most (server.max_events).
  LoopWait wait = LoopWait::kBlock;
  int max_events = EventLoop::kDefaultMaxEvents;
  /// Register with EPOLLONESHOT and re-arm after each event (dispatch_pool).
  bool oneshot = false;
  /// Work done per request before its echo (every built-in model).
  WorkPerRequest work;
  /// Where that work goes instead of the serving thread (offload_pool); not
  /// owned, outlives every connection.
  WorkOffload* offload = nullptr;
};

std::string_view to_string(ReadMode mode);
std::string_view to_string(WriteInterest interest);

}  // namespace echolab
