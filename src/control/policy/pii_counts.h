// Detection counts for the audit log: types and how many of each, never the values.
// Pure function; safe from any thread.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "control/policy/pii_detector.h"

namespace locai::control::policy {

// {"email": 2, "nhs_number": 1}: keys are PiiTypeName()s; types not detected are absent. Only the
// type and the number of matches go in, so the result cannot carry a detected value.
std::map<std::string, int> CountByType(const std::vector<PiiMatch>& matches);

// Adds `more` into `total` (for a request whose messages are scanned one by one).
void MergeCounts(const std::map<std::string, int>& more, std::map<std::string, int>* total);

}  // namespace locai::control::policy
