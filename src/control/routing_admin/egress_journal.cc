#include "control/routing_admin/egress_journal.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <system_error>
#include <utility>

namespace locai::control::routing_admin {
namespace {

using nlohmann::json;

// One journal line, or nullopt when it is not one.
std::optional<EgressJournalEntry> ParseLine(const std::string& line) {
  json object = json::parse(line, nullptr, false);
  if (object.is_discarded() || !object.is_object()) return std::nullopt;
  const json& host = object.value("host", json());
  const json& port = object.value("port", json());
  const json& allowed = object.value("allowed", json());
  if (!host.is_string() || !port.is_number_unsigned() || !allowed.is_boolean() ||
      port.get<uint64_t>() > 65535) {
    return std::nullopt;
  }
  auto text = [&object](const char* field) {
    const json& value = object.value(field, json());
    return value.is_string() ? value.get<std::string>() : std::string();
  };
  EgressJournalEntry entry;
  entry.time = text("time");
  entry.host = host.get<std::string>();
  entry.port = static_cast<uint16_t>(port.get<uint64_t>());
  entry.allowed = allowed.get<bool>();
  entry.purpose = text("purpose");
  entry.rule = text("rule");
  entry.error = text("error");
  return entry;
}

}  // namespace

Result<EgressJournal> ReadEgressJournal(const std::string& path) {
  EgressJournal journal;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec) && !ec) return journal;
  if (std::filesystem::is_directory(path, ec)) {
    return Err(Status::Internal("cannot read egress journal " + path + ": it is a directory"));
  }
  std::ifstream in(path);
  if (!in) return Err(Status::Internal("cannot read egress journal " + path));
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    std::optional<EgressJournalEntry> entry = ParseLine(line);
    if (entry) {
      journal.entries.push_back(std::move(*entry));
    } else {
      ++journal.malformed_lines;
    }
  }
  if (in.bad()) return Err(Status::Internal("error reading egress journal " + path));
  return journal;
}

std::vector<EgressDestination> SummariseEgress(const std::vector<EgressJournalEntry>& entries) {
  std::map<std::pair<std::string, uint16_t>, EgressDestination> by_destination;
  for (const EgressJournalEntry& entry : entries) {
    EgressDestination& destination = by_destination[{entry.host, entry.port}];
    destination.host = entry.host;
    destination.port = entry.port;
    if (!entry.allowed) {
      ++destination.denied;
      continue;
    }
    ++destination.allowed;
    if (!entry.error.empty()) ++destination.failed;
  }
  std::vector<EgressDestination> out;
  out.reserve(by_destination.size());
  for (auto& [key, destination] : by_destination) out.push_back(std::move(destination));
  return out;
}

json EgressEntryJson(const EgressJournalEntry& entry) {
  return {{"time", entry.time},       {"host", entry.host},       {"port", entry.port},
          {"allowed", entry.allowed}, {"purpose", entry.purpose}, {"rule", entry.rule},
          {"error", entry.error}};
}

json EgressDestinationJson(const EgressDestination& destination) {
  return {{"host", destination.host},
          {"port", destination.port},
          {"allowed", destination.allowed},
          {"denied", destination.denied},
          {"failed", destination.failed}};
}

}  // namespace locai::control::routing_admin
