// Topology::draw(): a compact text drawing in the style of lstopo-no-graphics.
#include <hwloc.h>

#include <string>

#include "core/topology.h"

namespace echolab {
namespace {

/// "48KB", "2048KB", "300MB", "31GB", with lstopo's thresholds.
std::string format_size(unsigned long long bytes) {
  constexpr unsigned long long kKiB = 1024, kMiB = kKiB * 1024, kGiB = kMiB * 1024;
  if (bytes < 10 * kMiB) return std::to_string(bytes / kKiB) + "KB";
  if (bytes < 10 * kGiB) return std::to_string(bytes / kMiB) + "MB";
  return std::to_string(bytes / kGiB) + "GB";
}

/// Draws one topology into a string; lives for one draw() call.
class Drawer {
 public:
  explicit Drawer(const Topology& topology) : topology_(topology), topo_(topology.handle()) {}

  std::string draw() {
    hwloc_obj_t root = hwloc_get_root_obj(topo_);
    std::string head = "Machine";
    if (root->total_memory > 0) head += " (" + format_size(root->total_memory) + " total)";
    line(0, head);
    visit(root, 1);
    return out_;
  }

 private:
  void line(int indent, const std::string& text) { out_ += std::string(2 * indent, ' ') + text + "\n"; }

  std::string pu_text(hwloc_obj_t pu) const {
    std::string text = "PU#" + std::to_string(pu->logical_index) + " (os " + std::to_string(pu->os_index) + ")";
    if (!topology_.is_usable(static_cast<int>(pu->os_index))) text += " *not usable*";
    return text;
  }

  std::string core_text(hwloc_obj_t core) const {
    std::string text = "Core#" + std::to_string(core->logical_index) + ":";
    hwloc_obj_t pu = nullptr;
    const char* sep = " ";
    while ((pu = hwloc_get_next_obj_inside_cpuset_by_type(topo_, core->cpuset, HWLOC_OBJ_PU, pu))) {
      text += sep + pu_text(pu);
      sep = ", ";
    }
    return text;
  }

  /// NUMA nodes hang off memory children (possibly behind memory caches).
  void visit_memory(hwloc_obj_t first, int indent) {
    for (hwloc_obj_t m = first; m; m = m->next_sibling) {
      if (m->type == HWLOC_OBJ_NUMANODE) {
        std::string text = "NUMA#" + std::to_string(m->logical_index) + " (os " + std::to_string(m->os_index);
        if (m->attr->numanode.local_memory > 0) text += ", " + format_size(m->attr->numanode.local_memory);
        line(indent, text + ")");
      }
      visit_memory(m->memory_first_child, indent);
    }
  }

  /// Draws the children of `obj`: Package, L3, Core and PU get a line;
  /// other levels (groups, dies, L2, L1) are see-through.
  void visit(hwloc_obj_t obj, int indent) {
    visit_memory(obj->memory_first_child, indent);
    for (hwloc_obj_t child = obj->first_child; child; child = child->next_sibling) {
      switch (child->type) {
        case HWLOC_OBJ_PACKAGE:
          line(indent, "Package#" + std::to_string(child->logical_index));
          visit(child, indent + 1);
          break;
        case HWLOC_OBJ_L3CACHE:
          line(indent,
               "L3#" + std::to_string(child->logical_index) + " (" + format_size(child->attr->cache.size) + ")");
          visit(child, indent + 1);
          break;
        case HWLOC_OBJ_CORE:
          line(indent, core_text(child));
          break;
        case HWLOC_OBJ_PU:
          line(indent, pu_text(child));
          break;
        default:
          visit(child, indent);
      }
    }
  }

  const Topology& topology_;
  hwloc_topology_t topo_;
  std::string out_;
};

}  // namespace

std::string Topology::draw() const { return Drawer(*this).draw(); }

}  // namespace echolab
