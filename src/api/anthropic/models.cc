#include "api/anthropic/models.h"

#include <cstdio>

#include "api/common/json_output.h"

namespace locai::api::anthropic {
namespace {

OrderedJson ModelJson(const ModelInfo& model) {
  OrderedJson out;
  out["type"] = "model";
  out["id"] = model.id;
  out["display_name"] = model.display_name;
  out["created_at"] = FormatRfc3339(model.created);
  return out;
}

// Floor division, so times before 1970 land on the right day.
int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

std::string FormatRfc3339(int64_t unix_seconds) {
  int64_t days = FloorDiv(unix_seconds, 86400);
  int64_t second_of_day = unix_seconds - days * 86400;
  // Days since 1970-01-01 to a civil date (the era-based algorithm: 400-year eras of 146097 days,
  // years starting in March so the leap day is last).
  int64_t z = days + 719468;
  int64_t era = FloorDiv(z, 146097);
  int64_t day_of_era = z - era * 146097;
  int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  int64_t month_index = (5 * day_of_year + 2) / 153;  // 0 = March
  int64_t day = day_of_year - (153 * month_index + 2) / 5 + 1;
  int64_t month = month_index < 10 ? month_index + 3 : month_index - 9;
  int64_t year = year_of_era + era * 400 + (month <= 2 ? 1 : 0);
  char buffer[160];  // room for six 64-bit fields, so the compiler can prove no truncation
  std::snprintf(buffer, sizeof(buffer), "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ",
                static_cast<long long>(year), static_cast<long long>(month),
                static_cast<long long>(day), static_cast<long long>(second_of_day / 3600),
                static_cast<long long>(second_of_day / 60 % 60),
                static_cast<long long>(second_of_day % 60));
  return buffer;
}

std::string SerializeModel(const ModelInfo& model) { return DumpJson(ModelJson(model)); }

std::string SerializeModelList(std::span<const ModelInfo> models) {
  OrderedJson body;
  body["data"] = OrderedJson::array();
  for (const ModelInfo& model : models) body["data"].push_back(ModelJson(model));
  body["has_more"] = false;
  body["first_id"] = models.empty() ? OrderedJson(nullptr) : OrderedJson(models.front().id);
  body["last_id"] = models.empty() ? OrderedJson(nullptr) : OrderedJson(models.back().id);
  return DumpJson(body);
}

}  // namespace locai::api::anthropic
