#pragma once

#include <cstddef>
#include <vector>

namespace echolab {

/// For a FIFO buffer read from the front, whose first `head` elements are
/// consumed: clears it once all are, or moves the rest down once more than
/// half are (so it neither grows for ever nor copies on every read); `head`
/// is 0 afterwards in both cases. The buffer owner's thread only.
template <typename T>
void drop_consumed_prefix(std::vector<T>& buffer, size_t& head) {
  if (head == buffer.size()) {
    buffer.clear();
    head = 0;
  } else if (head > buffer.size() / 2) {
    buffer.erase(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(head));
    head = 0;
  }
}

}  // namespace echolab
