#include "harness/trial/interrupt_watch.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

namespace echolab {

volatile std::sig_atomic_t InterruptWatch::received_ = 0;
int InterruptWatch::write_fd_ = -1;

InterruptWatch::InterruptWatch() {
  int ends[2];
  if (pipe2(ends, O_CLOEXEC | O_NONBLOCK) != 0) throw std::runtime_error("pipe2 failed for the Ctrl-C watch");
  read_end_.reset(ends[0]);
  write_end_.reset(ends[1]);
  received_ = 0;
  write_fd_ = write_end_.get();
  struct sigaction action = {};
  action.sa_handler = &InterruptWatch::on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &previous_int_);
  sigaction(SIGTERM, &action, &previous_term_);
}

InterruptWatch::~InterruptWatch() {
  sigaction(SIGINT, &previous_int_, nullptr);
  sigaction(SIGTERM, &previous_term_, nullptr);
  write_fd_ = -1;
}

void InterruptWatch::on_signal(int) {
  const int saved_errno = errno;
  received_ = received_ + 1;
  if (write_fd_ >= 0) {
    const char byte = 1;
    [[maybe_unused]] ssize_t ignored = ::write(write_fd_, &byte, 1);
  }
  errno = saved_errno;
}

void InterruptWatch::drain() const {
  char buffer[64];
  while (::read(read_end_.get(), buffer, sizeof buffer) > 0) {
  }
}

void InterruptWatch::forget_in_child() {
  ::signal(SIGINT, SIG_DFL);
  ::signal(SIGTERM, SIG_DFL);
  write_fd_ = -1;
  read_end_.reset();
  write_end_.reset();
}

}  // namespace echolab
