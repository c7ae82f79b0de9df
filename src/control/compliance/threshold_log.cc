#include "control/compliance/threshold_log.h"

namespace locai::control::compliance {

Result<bool> ThresholdLog::Mark(const std::string& org_id, const std::string& month,
                                const std::string& resource, int percent, int64_t now_ms) {
  LOCAI_ASSIGN_OR_RETURN(
      store::Statement insert,
      db_.Prepare("INSERT INTO compliance_warnings(org_id, month, resource, percent, logged_ms)"
                  " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING"));
  LOCAI_RETURN_IF_ERROR(insert.BindText(1, org_id));
  LOCAI_RETURN_IF_ERROR(insert.BindText(2, month));
  LOCAI_RETURN_IF_ERROR(insert.BindText(3, resource));
  LOCAI_RETURN_IF_ERROR(insert.BindInt64(4, percent));
  LOCAI_RETURN_IF_ERROR(insert.BindInt64(5, now_ms));
  LOCAI_RETURN_IF_ERROR(insert.Run());
  return db_.Changes() == 1;  // still under the Statement's lock
}

Result<std::vector<metering::ThresholdWarning>> ThresholdLog::LogNew(
    const std::string& org_id, const std::string& org_name, const std::string& month,
    const std::vector<metering::ThresholdWarning>& warnings, int64_t now_ms) {
  std::vector<metering::ThresholdWarning> logged;
  for (const metering::ThresholdWarning& warning : warnings) {
    LOCAI_ASSIGN_OR_RETURN(bool fresh,
                           Mark(org_id, month, warning.resource, warning.percent, now_ms));
    if (warning.percent == 100) {
      LOCAI_ASSIGN_OR_RETURN(bool fresh_80, Mark(org_id, month, warning.resource, 80, now_ms));
      (void)fresh_80;  // the 100 % line says more; 80 % is not logged after it
    }
    if (!fresh) continue;
    log_("plan warning: org " + org_name + " (" + org_id + ") " + month + ": " + warning.message);
    logged.push_back(warning);
  }
  return logged;
}

}  // namespace locai::control::compliance
