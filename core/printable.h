#pragma once

#include <cstdio>
#include <string>

namespace echolab {

/// `text` made safe to quote in a one-line error message: control characters
/// (newlines, NUL, DEL) become \xNN, so user input can never break a message
/// across lines; other bytes, UTF-8 included, stay as they are. Any thread.
inline std::string printable(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (c >= 0x20 && c != 0x7f) {
      out += static_cast<char>(c);
    } else {
      char escaped[5];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
      out += escaped;
    }
  }
  return out;
}

}  // namespace echolab
