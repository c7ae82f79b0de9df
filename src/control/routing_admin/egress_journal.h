// Reading the egress journals that net::egress::Connector writes (ConnectorOptions::journal_path):
// one JSON object per line {time, host, port, allowed, purpose, rule, error}. The server's is
// DATA/server/egress.jsonl, a node's DATA/node/egress.jsonl; `GET /v1/admin/egress` and
// `locai egress report` read them with these functions.
// Thread-safety: pure functions (the file may be appended to while it is read: a torn last line
// counts as malformed).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/status.h"

namespace locai::control::routing_admin {

struct EgressJournalEntry {
  std::string time;  // "2026-11-24T21:00:00.123Z" as written
  std::string host;
  uint16_t port = 0;
  bool allowed = false;
  std::string purpose;
  std::string rule;
  std::string error;  // allowed but the connection failed: why
};

struct EgressJournal {
  std::vector<EgressJournalEntry> entries;  // in file order
  uint64_t malformed_lines = 0;             // lines that are not a journal object
};

// Every attempt towards one host:port.
struct EgressDestination {
  std::string host;
  uint16_t port = 0;
  uint64_t allowed = 0;  // allowed attempts (connected or not)
  uint64_t denied = 0;
  uint64_t failed = 0;   // allowed, but the connection failed
};

// The journal at `path`. A missing file is an empty journal (nothing was attempted); Internal
// when the path exists but cannot be read as a file (a directory, no permission).
Result<EgressJournal> ReadEgressJournal(const std::string& path);

// Per destination, sorted by host then port.
std::vector<EgressDestination> SummariseEgress(const std::vector<EgressJournalEntry>& entries);

// {time, host, port, allowed, purpose, rule, error}
nlohmann::json EgressEntryJson(const EgressJournalEntry& entry);
// {host, port, allowed, denied, failed}
nlohmann::json EgressDestinationJson(const EgressDestination& destination);

}  // namespace locai::control::routing_admin
