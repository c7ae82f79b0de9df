// Error replies that know plan limits: a plan_limit_exceeded status (metering::IsPlanLimitError)
// becomes HTTP 402 with
//   {"error":{"message":"<what was refused>","type":"plan_limit_exceeded","param":null,
//             "code":"plan_limit_exceeded"}}
// (the message without its "plan_limit_exceeded: " prefix); any other status is
// control::ErrorResponse's OpenAI-shaped reply.
// Thread-safety: pure functions.
#pragma once

#include "common/status.h"
#include "net/http/http_message.h"
#include "net/http/response_writer.h"

namespace locai::control::compliance {

inline constexpr int kPlanLimitHttpStatus = 402;

net::HttpResponse ComplianceErrorResponse(const Status& status);
void SendComplianceError(net::ResponseWriter& writer, const Status& status);

}  // namespace locai::control::compliance
