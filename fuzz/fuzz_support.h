#pragma once

// What every echolab fuzz target shares: inputs as text, and the rule that
// a rejection is one expected exception with a one-line message naming the
// problem; anything else (another exception, a multi-line or empty message,
// a crash, a hang, a sanitizer report) is a finding.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace echolab::fuzz {

inline std::string text_of(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

/// Aborts (a libFuzzer finding) unless `message` is one non-empty line.
inline void require_one_line(const char* what, const std::string& message) {
  if (message.empty() || message.find('\n') != std::string::npos) {
    std::fprintf(stderr, "%s: a rejection must be one non-empty line, got: [%s]\n", what, message.c_str());
    std::abort();
  }
}

}  // namespace echolab::fuzz
