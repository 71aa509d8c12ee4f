// The results directory on a full disk: a trial line that does not fit is
// cut off whole and the error says why, so trials.jsonl keeps whole lines
// and --resume reruns that trial. RLIMIT_FSIZE stands in for the full disk
// (EFBIG instead of ENOSPC, the same partial-write path), in a child
// process so the limit stays there.
#include "harness/sweep/results_dir.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace echolab {
namespace {

namespace fs = std::filesystem;

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(ResultsDirFull, ALineThatDoesNotFitIsCutOffAndTheErrorSaysWhy) {
  char parent_template[] = "/tmp/echolab-results-full-XXXXXX";
  ASSERT_NE(mkdtemp(parent_template), nullptr);
  const fs::path parent = parent_template;
  ResultsDir results = ResultsDir::create(parent.string(), "{}");
  results.append_trial({{"trial", 1}});
  const fs::path trials = fs::path(results.path()) / "trials.jsonl";
  const std::string before = read_text(trials);
  ASSERT_EQ(before, "{\"trial\":1}\n");

  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::signal(SIGXFSZ, SIG_IGN);  // a write past the limit fails with EFBIG instead of killing
    const rlim_t room = static_cast<rlim_t>(before.size() + 40);  // part of the next line fits
    const rlimit limit = {room, room};
    setrlimit(RLIMIT_FSIZE, &limit);
    try {
      results.append_trial({{"trial", 2}, {"padding", std::string(500, 'x')}});
      _exit(1);  // it fitted: the limit did not work
    } catch (const std::runtime_error& error) {
      const std::string what = error.what();
      _exit(what.find("trials.jsonl") != std::string::npos && what.find("too large") != std::string::npos ? 0 : 2);
    }
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: the line fitted; 2: the error did not name the file and the cause";
  EXPECT_EQ(read_text(trials), before);  // the partial second line is gone
  fs::remove_all(parent);
}

}  // namespace
}  // namespace echolab
