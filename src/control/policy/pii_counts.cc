#include "control/policy/pii_counts.h"

namespace locai::control::policy {

std::map<std::string, int> CountByType(const std::vector<PiiMatch>& matches) {
  std::map<std::string, int> counts;
  for (const PiiMatch& match : matches) ++counts[std::string(PiiTypeName(match.type))];
  return counts;
}

void MergeCounts(const std::map<std::string, int>& more, std::map<std::string, int>* total) {
  for (const auto& [type, count] : more) (*total)[type] += count;
}

}  // namespace locai::control::policy
