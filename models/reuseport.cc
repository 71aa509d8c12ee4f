#include "models/reuseport.h"

#include <linux/filter.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace echolab {
namespace {

/// Classic BPF for SO_ATTACH_REUSEPORT_CBPF: socket index = receiving CPU
/// modulo the group size (sockets are indexed in the order they joined).
void attach_cpu_steering(int fd, int group_size) {
  sock_filter code[] = {
      {BPF_LD | BPF_W | BPF_ABS, 0, 0, static_cast<uint32_t>(SKF_AD_OFF + SKF_AD_CPU)},
      {BPF_ALU | BPF_MOD | BPF_K, 0, 0, static_cast<uint32_t>(group_size)},
      {BPF_RET | BPF_A, 0, 0, 0},
  };
  sock_fprog program{static_cast<unsigned short>(sizeof code / sizeof code[0]), code};
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &program, sizeof program) != 0) {
    throw ModelUnavailable(std::string("reuseport steer: the kernel refused SO_ATTACH_REUSEPORT_CBPF: ") +
                           std::strerror(errno));
  }
}

}  // namespace

void ReuseportServer::start(const ServerConfig& config, const CpuPlan& plan) {
  loops_.start(config, plan, ListeningLoops::Sockets::kPerThread);
  if (config.options.flag("steer")) {
    try {
      attach_cpu_steering(loops_.sockets().front().get(), config.threads);
    } catch (...) {
      loops_.stop();
      throw;
    }
  }
}

}  // namespace echolab
