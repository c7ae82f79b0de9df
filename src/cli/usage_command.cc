// locai usage [--org ORG] [--month YYYY-MM] [--json]: the month's usage against the plan and the
// bill, as GET /v1/admin/usage renders it (the same figures as the API: the server formats the
// text table, metering/usage_report.h).
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/admin_client.h"
#include "cli/commands.h"

namespace locai::cli {
namespace {

struct UsageFlags {
  AdminFlags admin;
  std::string org;
  std::string month;
};

void ShowUsage(const UsageFlags& flags) {
  std::string path = "/v1/admin/usage?format=" + std::string(flags.admin.json ? "json" : "text");
  if (!flags.month.empty()) path += "&month=" + QueryEscape(flags.month);
  if (!flags.org.empty()) path += "&org=" + QueryEscape(flags.org);
  auto client = OrFail(AdminClient::Create(flags.admin));
  net::ClientResponse response = OrFail(client->Send("GET", path, "", net::HttpHeaders()));
  if (response.status < 200 || response.status >= 300) Fail(StatusFromResponse(response));
  if (flags.admin.json) {
    const nlohmann::json report =
        nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
    std::printf("%s\n", report.is_discarded() ? response.body.c_str() : report.dump(2).c_str());
    return;
  }
  std::fwrite(response.body.data(), 1, response.body.size(), stdout);
  if (!response.body.empty() && response.body.back() != '\n') std::printf("\n");
}

}  // namespace

std::string QueryEscape(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '_' || c == '.' || c == '~';
    if (plain) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

void RegisterUsageCommand(CLI::App& app) {
  auto flags = std::make_shared<UsageFlags>();
  auto* cmd = app.add_subcommand(
      "usage", "Show an organisation's usage (nodes, registry storage, egress) and its bill");
  AddAdminFlags(cmd, &flags->admin);
  cmd->add_option("--org", flags->org,
                  "Organisation id or name (default: the key's; others need a default-org admin)");
  cmd->add_option("--month", flags->month, "Month as YYYY-MM (default: this month, UTC)");
  cmd->callback([flags] { ShowUsage(*flags); });
}

}  // namespace locai::cli
