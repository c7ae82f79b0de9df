// locai egress report: every outbound connection this machine's Locai processes attempted, from
// the egress journals in the data directory (DATA/server/egress.jsonl of `locai server` / `up`,
// DATA/node/egress.jsonl of `locai node`). Reads files only: works with nothing running.
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/admin_client.h"
#include "cli/commands.h"
#include "control/routing_admin/egress_journal.h"

namespace locai::cli {
namespace {

using control::routing_admin::EgressDestination;
using control::routing_admin::EgressJournal;
using control::routing_admin::EgressJournalEntry;
using nlohmann::json;

struct EgressFlags {
  std::string data_dir;
  bool json = false;
};

struct Source {
  std::string name;  // "server" | "node"
  std::string path;
  EgressJournal journal;
};

std::string Destination(const std::string& host, uint16_t port) {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

void PrintText(const std::vector<Source>& sources) {
  uint64_t allowed = 0, denied = 0, failed = 0;
  for (const Source& source : sources) {
    std::printf("%s journal %s: %zu attempt%s\n", source.name.c_str(), source.path.c_str(),
                source.journal.entries.size(), source.journal.entries.size() == 1 ? "" : "s");
    for (const EgressJournalEntry& e : source.journal.entries) {
      std::printf("  %s %s %s purpose=%s rule='%s'", e.time.c_str(), e.allowed ? "allow" : "deny ",
                  Destination(e.host, e.port).c_str(), e.purpose.c_str(), e.rule.c_str());
      if (!e.error.empty()) std::printf(" error='%s'", e.error.c_str());
      std::printf("\n");
      if (!e.allowed) {
        ++denied;
      } else {
        ++allowed;
        if (!e.error.empty()) ++failed;
      }
    }
    if (source.journal.malformed_lines > 0) {
      std::printf("  (%llu malformed line%s skipped)\n",
                  static_cast<unsigned long long>(source.journal.malformed_lines),
                  source.journal.malformed_lines == 1 ? "" : "s");
    }
  }
  std::printf("\nby destination:\n");
  std::vector<std::vector<std::string>> rows = {
      {"SOURCE", "DESTINATION", "ALLOWED", "DENIED", "FAILED"}};
  for (const Source& source : sources) {
    for (const EgressDestination& d : control::routing_admin::SummariseEgress(
             source.journal.entries)) {
      rows.push_back({source.name, Destination(d.host, d.port), std::to_string(d.allowed),
                      std::to_string(d.denied), std::to_string(d.failed)});
    }
  }
  if (rows.size() == 1) {
    std::printf("  no outbound connection was attempted\n");
  } else {
    PrintTable(rows);
  }
  std::printf("\ntotal: allowed %llu, denied %llu, failed %llu\n",
              static_cast<unsigned long long>(allowed), static_cast<unsigned long long>(denied),
              static_cast<unsigned long long>(failed));
}

void PrintJson(const std::vector<Source>& sources) {
  json out = {{"journals", json::array()}};
  uint64_t attempts = 0, allowed = 0, failed = 0;
  for (const Source& source : sources) {
    json entries = json::array();
    for (const EgressJournalEntry& e : source.journal.entries) {
      entries.push_back(control::routing_admin::EgressEntryJson(e));
      ++attempts;
      if (e.allowed) ++allowed;
      if (e.allowed && !e.error.empty()) ++failed;
    }
    json destinations = json::array();
    for (const EgressDestination& d :
         control::routing_admin::SummariseEgress(source.journal.entries)) {
      destinations.push_back(control::routing_admin::EgressDestinationJson(d));
    }
    out["journals"].push_back({{"source", source.name},
                               {"path", source.path},
                               {"data", std::move(entries)},
                               {"destinations", std::move(destinations)},
                               {"malformed_lines", source.journal.malformed_lines}});
  }
  out["totals"] = {{"attempts", attempts},
                   {"allowed", allowed},
                   {"denied", attempts - allowed},
                   {"failed", failed}};
  std::printf("%s\n", out.dump(2).c_str());
}

void Report(const EgressFlags& flags) {
  const std::string data_dir = ResolveDataDir(flags.data_dir);
  std::vector<Source> sources;
  for (const char* name : {"server", "node"}) {
    Source source;
    source.name = name;
    source.path = data_dir + "/" + name + "/egress.jsonl";
    source.journal = OrFail(control::routing_admin::ReadEgressJournal(source.path));
    sources.push_back(std::move(source));
  }
  if (flags.json) {
    PrintJson(sources);
  } else {
    PrintText(sources);
  }
}

}  // namespace

void RegisterEgressCommand(CLI::App& app) {
  auto flags = std::make_shared<EgressFlags>();
  auto* cmd = app.add_subcommand("egress", "Outbound connections attempted by Locai on this machine");
  cmd->require_subcommand(1);
  auto* report = cmd->add_subcommand(
      "report",
      "List every outbound connection attempt (allowed or denied) from the egress journals in "
      "DATA/server/egress.jsonl and DATA/node/egress.jsonl, with totals per destination; reads "
      "the files only, so nothing needs to be running");
  report->add_option("--data", flags->data_dir,
                     "Data directory (default: $LOCAI_HOME or ~/.locai)");
  report->add_flag("--json", flags->json, "Print JSON: every attempt and the totals");
  report->callback([flags] { Report(*flags); });
}

}  // namespace locai::cli
