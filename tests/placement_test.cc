// plan_placement on synthetic topologies: orders, set binding, floating
// roles, oversubscription, overlap and SMT warnings, location errors.
#include "harness/config/placement.h"

#include <gtest/gtest.h>

#include "tests/test_support.h"

namespace echolab {
namespace {

using testing::kThisMachine;
using testing::kTwoL3;
using testing::kTwoSocketSmt;

PlacementGroup group(const std::string& side, const std::string& location, int threads,
                     BindMode bind = BindMode::kThread, PlacementOrder order = PlacementOrder::kCompact) {
  PlacementGroup g;
  g.side = side;
  g.location = location;
  g.bind = bind;
  g.order = order;
  g.roles = {{side, threads}};
  return g;
}

/// "role#index=cpus;" for every planned thread, in plan order.
std::string describe(const PlacementPlan& plan) {
  std::string out;
  for (const PlannedThread& t : plan.threads) {
    out += t.role + "#" + std::to_string(t.index) + "=" + format_cpu_list(t.cpus) + ";";
  }
  return out;
}

std::string warnings(const PlacementPlan& plan) {
  std::string out;
  for (const std::string& w : plan.warnings) out += w + "\n";
  return out;
}

TEST(PlacementTest, OneCorePerSideOnThisMachine) {
  auto topology = Topology::load(kThisMachine);
  PlacementPlan plan = plan_placement(*topology, {group("server", "pu:1", 1), group("client", "pu:0", 1)}, false);
  EXPECT_EQ(describe(plan), "server#0=1;client#0=0;");
  EXPECT_EQ(plan.cpus.cpus("server", 0), CpuList({1}));
  EXPECT_EQ(plan.cpus.cpus("client", 0), CpuList({0}));
  EXPECT_TRUE(plan.warnings.empty()) << warnings(plan);
}

TEST(PlacementTest, LocationErrorsNameTheSide) {
  auto topology = Topology::load(kThisMachine);
  auto error_of = [&](const std::string& location) -> std::string {
    try {
      plan_placement(*topology, {group("client", "pu:0", 1), group("server", location, 1)}, false);
    } catch (const PlacementError& e) {
      return e.what();
    }
    return "no error";
  };
  EXPECT_EQ(error_of("pu:9"), "server.cpus: location 'pu:9': this topology has 2 PUs (pu:0-1)");
  EXPECT_NE(error_of("pu:").find("server.cpus: location 'pu:': "), std::string::npos);
  EXPECT_NE(error_of("core:3-1").find("reversed"), std::string::npos);
  EXPECT_NE(error_of("bogus:1").find("unknown object type 'bogus'"), std::string::npos);
  EXPECT_NE(error_of("").find("server.cpus: location '': empty location"), std::string::npos);
}

TEST(PlacementTest, MoreThreadsThanPusWrapAroundWithAWarning) {
  auto topology = Topology::load(kThisMachine);
  PlacementPlan plan = plan_placement(*topology, {group("server", "all", 4)}, false);
  EXPECT_EQ(describe(plan), "server#0=0;server#1=1;server#2=0;server#3=1;");
  EXPECT_EQ(warnings(plan),
            "server: 4 threads on 2 PUs with bind=thread: server#0 and server#2 share PU 0, "
            "server#1 and server#3 share PU 1\n");
}

TEST(PlacementTest, BindSetGivesEveryThreadTheWholeSet) {
  auto topology = Topology::load(kTwoSocketSmt);
  PlacementPlan plan = plan_placement(*topology, {group("server", "core:0-1", 3, BindMode::kSet)}, false);
  EXPECT_EQ(describe(plan), "server#0=0-3;server#1=0-3;server#2=0-3;");
  EXPECT_TRUE(plan.warnings.empty()) << warnings(plan);
  EXPECT_EQ(plan.cpus.role_union("server"), CpuList({0, 1, 2, 3}));
}

TEST(PlacementTest, RolesTakePusInOrderAndFloatingRolesFloat) {
  auto topology = Topology::load(kTwoSocketSmt);
  PlacementGroup server = group("server", "core:0-2", 2);
  server.roles = {{"acceptor", 1}, {"server", 2}};
  PlacementGroup client = group("client", "pack:1", 2);
  client.roles = {{"client", 2}, {"sampler", 1}};
  client.floating_roles = {"sampler"};
  PlacementPlan plan = plan_placement(*topology, {server, client}, false);
  EXPECT_EQ(describe(plan), "acceptor#0=0;server#0=1;server#1=2;client#0=16;client#1=17;sampler#0=16-31;");
  EXPECT_TRUE(plan.warnings.empty()) << warnings(plan);
}

TEST(PlacementTest, SpreadVersusCompact) {
  auto smt = Topology::load(kTwoSocketSmt);
  PlacementPlan compact = plan_placement(*smt, {group("server", "all", 3)}, false);
  EXPECT_EQ(describe(compact), "server#0=0;server#1=1;server#2=2;");
  PlacementPlan spread =
      plan_placement(*smt, {group("server", "all", 3, BindMode::kThread, PlacementOrder::kSpread)}, false);
  EXPECT_EQ(describe(spread), "server#0=0;server#1=16;server#2=2;");
  auto l3 = Topology::load(kTwoL3);
  PlacementPlan l3_spread =
      plan_placement(*l3, {group("server", "all", 4, BindMode::kThread, PlacementOrder::kSpread)}, false);
  EXPECT_EQ(describe(l3_spread), "server#0=0;server#1=4;server#2=1;server#3=5;");
}

TEST(PlacementTest, OverlapWarnsNamingBothRoles) {
  auto topology = Topology::load(kThisMachine);
  std::vector<PlacementGroup> groups = {group("server", "all", 2), group("client", "pu:0", 1)};
  PlacementPlan plan = plan_placement(*topology, groups, false);
  EXPECT_EQ(warnings(plan), "client and server share PU 0 (client#0, server#0)\n");
  EXPECT_TRUE(plan_placement(*topology, groups, true).warnings.empty());
}

TEST(PlacementTest, UnpinnedSidesShareEveryPu) {
  auto topology = Topology::load(kThisMachine);
  PlacementPlan plan = plan_placement(
      *topology, {group("server", "all", 1, BindMode::kSet), group("client", "all", 1, BindMode::kSet)}, false);
  EXPECT_EQ(warnings(plan), "client and server share PUs 0-1 (client#0, server#0)\n");
}

TEST(PlacementTest, SmtSiblingsWarnButOtherCoresDoNot) {
  auto topology = Topology::load(kTwoSocketSmt);
  PlacementPlan siblings = plan_placement(*topology, {group("server", "pu:0", 1), group("client", "pu:1", 1)}, false);
  EXPECT_EQ(warnings(siblings),
            "client and server run on SMT siblings of one core, sharing its execution units "
            "(core 0: PU 1 (client#0) and PU 0 (server#0))\n");
  EXPECT_TRUE(
      plan_placement(*topology, {group("server", "pu:0", 1), group("client", "pu:1", 1)}, true).warnings.empty());
  PlacementPlan cross = plan_placement(*topology, {group("server", "pu:0", 1), group("client", "pu:2", 1)}, false);
  EXPECT_TRUE(cross.warnings.empty()) << warnings(cross);
  PlacementPlan packages =
      plan_placement(*topology, {group("server", "pack:0", 2), group("client", "pack:1", 2)}, false);
  EXPECT_TRUE(packages.warnings.empty()) << warnings(packages);
}

TEST(PlacementTest, GroupWithoutThreadsIsStillChecked) {
  auto topology = Topology::load(kThisMachine);
  EXPECT_THROW(plan_placement(*topology, {group("client", "pu:7", 0)}, false), PlacementError);
  EXPECT_TRUE(plan_placement(*topology, {group("client", "pu:1", 0)}, false).threads.empty());
}

}  // namespace
}  // namespace echolab
