#include "models/reuseport.h"

#include <linux/filter.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

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

/// SO_INCOMING_CPU on each thread's listener: the CPU its thread is placed
/// on, so that (since Linux 6.1, commit b261eda84ec1) a connection whose SYN
/// was processed on that CPU goes to that listener.
void set_incoming_cpus(const std::vector<UniqueFd>& sockets, const CpuPlan& plan) {
  for (size_t i = 0; i < sockets.size(); ++i) {
    const CpuList cpus = plan.cpus("server", static_cast<int>(i));
    if (cpus.size() != 1) {
      throw std::invalid_argument("reuseport incoming_cpu: server thread " + std::to_string(i) +
                                  " must be placed on exactly one PU (placement gives " + std::to_string(cpus.size()) +
                                  ")");
    }
    const int cpu = cpus.front();
    if (setsockopt(sockets[i].get(), SOL_SOCKET, SO_INCOMING_CPU, &cpu, sizeof cpu) != 0) {
      throw ModelUnavailable(std::string("reuseport incoming_cpu: the kernel refused SO_INCOMING_CPU: ") +
                             std::strerror(errno));
    }
  }
}

}  // namespace

void ReuseportServer::start(const ServerConfig& config, const CpuPlan& plan) {
  loops_.start(config, plan, ListeningLoops::Sockets::kPerThread);
  try {
    if (config.options.flag("steer")) attach_cpu_steering(loops_.sockets().front().get(), config.threads);
    if (config.options.flag("incoming_cpu")) set_incoming_cpus(loops_.sockets(), plan);
  } catch (...) {
    loops_.stop();
    throw;
  }
}

}  // namespace echolab
