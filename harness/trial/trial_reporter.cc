#include "harness/trial/trial_reporter.h"

#include "harness/trial/trial_report.h"

namespace echolab {

void ConsoleTableReporter::report(const Json& record) { print_trial_table(out_, record); }

void JsonReporter::report(const Json& record) { out_ << record.dump(2) << std::endl; }

}  // namespace echolab
