#include "control/compliance/plan_limit_reply.h"

#include <string>

#include "api/common/api_error.h"
#include "control/auth/http_reply.h"
#include "control/metering/bill.h"

namespace locai::control::compliance {

net::HttpResponse ComplianceErrorResponse(const Status& status) {
  if (!metering::IsPlanLimitError(status)) return ErrorResponse(status);
  api::ApiError error;
  error.http_status = kPlanLimitHttpStatus;
  error.type = "plan_limit_exceeded";
  error.code = "plan_limit_exceeded";
  error.message = status.message().substr(metering::kPlanLimitPrefix.size());
  return net::HttpResponse::Json(error.http_status, api::SerializeOpenAiError(error));
}

void SendComplianceError(net::ResponseWriter& writer, const Status& status) {
  writer.Send(ComplianceErrorResponse(status));
}

}  // namespace locai::control::compliance
