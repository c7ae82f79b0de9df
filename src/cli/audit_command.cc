// locai audit verify | export --since DATE|MS [--format jsonl] | prompts [on|off|show]
// [--retention-days N] [--org ORG] | retention [--days N]: the control plane's audit log
// (docs/audit-log.md). verify exits 1 and prints the report when the chain is broken; export
// writes the records (one JSON object per line, with prev_hash and hash) to stdout; prompts shows
// or sets the organisation's prompt capture (off by default) and the days captured text is kept;
// retention shows or sets how many days audit records are kept.
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/admin_client.h"
#include "cli/commands.h"

namespace locai::cli {
namespace {

using nlohmann::json;

// Days since 1970-01-01 of a proleptic Gregorian date (the usual era arithmetic).
int64_t DaysFromCivil(int64_t year, int64_t month, int64_t day) {
  year -= month <= 2 ? 1 : 0;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const int64_t year_of_era = year - era * 400;
  const int64_t day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

bool AllDigits(const std::string& text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

Result<int64_t> ParseSince(const std::string& text) {
  if (AllDigits(text) && text.size() <= 18) return std::stoll(text);
  // YYYY-MM-DD, midnight UTC.
  if (text.size() == 10 && text[4] == '-' && text[7] == '-' && AllDigits(text.substr(0, 4)) &&
      AllDigits(text.substr(5, 2)) && AllDigits(text.substr(8, 2))) {
    const int64_t year = std::stoll(text.substr(0, 4));
    const int64_t month = std::stoll(text.substr(5, 2));
    const int64_t day = std::stoll(text.substr(8, 2));
    if (year >= 1970 && month >= 1 && month <= 12 && day >= 1 && day <= 31) {
      return DaysFromCivil(year, month, day) * 86'400'000;
    }
  }
  return Err(Status::InvalidArgument("--since must be a date (YYYY-MM-DD, UTC) or Unix ms, not '" +
                                     text + "'"));
}

void Verify(const AdminFlags& flags) {
  auto client = OrFail(AdminClient::Create(flags));
  const json report = OrFail(client->Call("GET", "/v1/admin/audit/verify"));
  const bool ok = report.value("ok", false);
  if (flags.json) {
    std::printf("%s\n", report.dump(2).c_str());
  } else if (ok) {
    std::printf("audit log OK: %lld records (seq %lld..%lld), head seq %lld\n",
                static_cast<long long>(report.value("records_checked", int64_t{0})),
                static_cast<long long>(report.value("first_seq", int64_t{0})),
                static_cast<long long>(report.value("last_seq", int64_t{0})),
                static_cast<long long>(report.value("head_seq", int64_t{0})));
  } else {
    std::printf("audit log BROKEN: %s at seq %lld\n%s\n", report.value("problem", "").c_str(),
                static_cast<long long>(report.value("first_bad_seq", int64_t{0})),
                report.value("message", "").c_str());
    std::printf("records checked %lld (seq %lld..%lld), head file seq %lld\n",
                static_cast<long long>(report.value("records_checked", int64_t{0})),
                static_cast<long long>(report.value("first_seq", int64_t{0})),
                static_cast<long long>(report.value("last_seq", int64_t{0})),
                static_cast<long long>(report.value("head_seq", int64_t{0})));
  }
  std::fflush(stdout);
  if (!ok) throw CLI::RuntimeError(1);
}

void Export(const AdminFlags& flags, const std::string& since_text, const std::string& format) {
  if (format != "jsonl") Fail(Status::InvalidArgument("--format must be jsonl"), 2);
  const int64_t since = OrFail(ParseSince(since_text));
  auto client = OrFail(AdminClient::Create(flags));
  net::ClientResponse response = OrFail(
      client->Send("GET", "/v1/admin/audit/export?format=jsonl&since=" + std::to_string(since), "",
                   net::HttpHeaders()));
  if (response.status < 200 || response.status >= 300) Fail(StatusFromResponse(response));
  std::fwrite(response.body.data(), 1, response.body.size(), stdout);
}

void PrintCapture(const AdminFlags& flags, const json& setting) {
  if (flags.json) {
    std::printf("%s\n", setting.dump(2).c_str());
    return;
  }
  std::printf("prompt capture for %s: %s (captured text kept %lld days)\n",
              JsonString(setting, "org").c_str(), setting.value("enabled", false) ? "on" : "off",
              static_cast<long long>(JsonI64(setting, "retention_days")));
}

void Prompts(const AdminFlags& flags, const std::string& mode, int64_t retention_days,
             const std::string& org) {
  if (mode != "on" && mode != "off" && mode != "show") {
    Fail(Status::InvalidArgument("expected on, off or show, not '" + mode + "'"), 2);
  }
  auto client = OrFail(AdminClient::Create(flags));
  if (mode == "show") {
    if (retention_days > 0) {
      Fail(Status::InvalidArgument("--retention-days goes with on or off"), 2);
    }
    std::string path = "/v1/admin/audit/prompt-capture";
    if (!org.empty()) path += "?org=" + QueryEscape(org);
    PrintCapture(flags, OrFail(client->Call("GET", path)));
    return;
  }
  json body{{"enabled", mode == "on"}};
  if (retention_days > 0) body["retention_days"] = retention_days;
  if (!org.empty()) body["org"] = org;
  PrintCapture(flags, OrFail(client->Call("PUT", "/v1/admin/audit/prompt-capture", body)));
}

void Retention(const AdminFlags& flags, int64_t days) {
  auto client = OrFail(AdminClient::Create(flags));
  const json answer =
      days > 0 ? OrFail(client->Call("PUT", "/v1/admin/audit/retention", json{{"days", days}}))
               : OrFail(client->Call("GET", "/v1/admin/audit/retention"));
  if (flags.json) {
    std::printf("%s\n", answer.dump(2).c_str());
  } else {
    std::printf("audit records kept %lld days\n", static_cast<long long>(JsonI64(answer, "days")));
  }
}

}  // namespace

void RegisterAuditCommand(CLI::App& app) {
  auto flags = std::make_shared<AdminFlags>();
  auto since = std::make_shared<std::string>("0");
  auto format = std::make_shared<std::string>("jsonl");
  auto* cmd = app.add_subcommand(
      "audit", "Verify or export the control plane's audit log; prompt capture and retention");
  cmd->require_subcommand(1);
  auto* verify = cmd->add_subcommand("verify", "Check the hash chain (exit 1 when broken)");
  AddAdminFlags(verify, flags.get());
  verify->callback([flags] { Verify(*flags); });
  auto* exported = cmd->add_subcommand("export", "Write audit records as JSON lines to stdout");
  AddAdminFlags(exported, flags.get());
  exported->add_option("--since", *since, "From this date (YYYY-MM-DD, UTC) or Unix ms")
      ->capture_default_str();
  exported->add_option("--format", *format, "jsonl")->capture_default_str();
  exported->callback([flags, since, format] { Export(*flags, *since, *format); });

  auto mode = std::make_shared<std::string>("show");
  auto retention_days = std::make_shared<int64_t>(0);
  auto org = std::make_shared<std::string>();
  auto* prompts = cmd->add_subcommand(
      "prompts", "Show or set prompt capture: keep prompt and completion text (off by default)");
  AddAdminFlags(prompts, flags.get());
  prompts->add_option("mode", *mode, "on, off or show")->capture_default_str();
  prompts->add_option("--retention-days", *retention_days,
                      "Days captured text is kept (with on or off; default 30)");
  prompts->add_option("--org", *org,
                      "Organisation id or name (default: the key's; others need a default-org "
                      "admin)");
  prompts->callback(
      [flags, mode, retention_days, org] { Prompts(*flags, *mode, *retention_days, *org); });

  auto days = std::make_shared<int64_t>(0);
  auto* retention =
      cmd->add_subcommand("retention", "Show or set how many days audit records are kept");
  AddAdminFlags(retention, flags.get());
  retention->add_option("--days", *days, "Keep audit records this many days (default 365)");
  retention->callback([flags, days] { Retention(*flags, *days); });
}

}  // namespace locai::cli
