#include "control/metering/usage_meter.h"

#include <algorithm>
#include <string>
#include <vector>

#include "control/metering/calendar.h"
#include "control/metering/wide_int.h"
#include "store/sqlite/migrate.h"

namespace locai::control::metering {
namespace {

using store::Database;
using store::Statement;
using store::Transaction;

// Schema, component "metering". Append steps; never edit one that has shipped.
// metering_storage_month.byte_ms is decimal text: the integral can pass 2^63 (10 TB for a month).
const std::vector<std::string> kMeteringSteps = {
    "CREATE TABLE metering_node_days("
    "  org TEXT NOT NULL, node_id TEXT NOT NULL, day TEXT NOT NULL, month TEXT NOT NULL,"
    "  PRIMARY KEY (org, node_id, day));"
    "CREATE INDEX metering_node_days_by_month ON metering_node_days(org, month);"
    "CREATE TABLE metering_storage_state("
    "  org TEXT PRIMARY KEY, bytes INTEGER NOT NULL, since_ms INTEGER NOT NULL);"
    "CREATE TABLE metering_storage_month("
    "  org TEXT NOT NULL, month TEXT NOT NULL, byte_ms TEXT NOT NULL, last_bytes INTEGER NOT NULL,"
    "  PRIMARY KEY (org, month));"
    "CREATE TABLE metering_egress("
    "  org TEXT NOT NULL, month TEXT NOT NULL, kind TEXT NOT NULL, bytes INTEGER NOT NULL,"
    "  PRIMARY KEY (org, month, kind));"
    "CREATE TABLE metering_requests("
    "  org TEXT NOT NULL, month TEXT NOT NULL, route TEXT NOT NULL, requests INTEGER NOT NULL,"
    "  tokens_in INTEGER NOT NULL, tokens_out INTEGER NOT NULL,"
    "  PRIMARY KEY (org, month, route));",
};

Status BindValue(Statement& stmt, int index, std::string_view value) {
  return stmt.BindText(index, value);
}
Status BindValue(Statement& stmt, int index, int64_t value) { return stmt.BindInt64(index, value); }

// Prepares `sql` and binds `values` to ?1, ?2, ...
template <typename... Values>
Result<Statement> Query(Database& db, std::string_view sql, const Values&... values) {
  LOCAI_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(sql));
  int index = 0;
  Status status;
  ((status.ok() ? (status = BindValue(stmt, ++index, values), 0) : 0), ...);
  LOCAI_RETURN_IF_ERROR(status);
  return stmt;
}

template <typename... Values>
Status Run(Database& db, std::string_view sql, const Values&... values) {
  LOCAI_ASSIGN_OR_RETURN(Statement stmt, Query(db, sql, values...));
  return stmt.Run();
}

Status CheckOrg(std::string_view org) {
  if (org.empty()) return Status::InvalidArgument("metering: empty organisation");
  return Status::Ok();
}

Status CheckNonNegative(int64_t value, std::string_view what) {
  if (value < 0) return Status::InvalidArgument("metering: negative " + std::string(what));
  return Status::Ok();
}

// Adds `bytes` held over [from_ms, to_ms) to the months that span crosses.
Status IntegrateStorage(Database& db, std::string_view org, int64_t bytes, int64_t from_ms,
                        int64_t to_ms) {
  for (int64_t t = from_ms; t < to_ms;) {
    MonthSpan span = MonthOf(t);
    int64_t end = std::min(to_ms, span.end_ms);
    Int128 add = static_cast<Int128>(bytes) * (end - t);
    Int128 total = add;
    {
      LOCAI_ASSIGN_OR_RETURN(
          Statement read,
          Query(db, "SELECT byte_ms FROM metering_storage_month WHERE org = ?1 AND month = ?2", org,
                std::string_view(span.key)));
      LOCAI_ASSIGN_OR_RETURN(bool found, read.Step());
      if (found) {
        LOCAI_ASSIGN_OR_RETURN(Int128 before, ParseInt128(read.ColumnText(0)));
        total += before;
      }
    }
    LOCAI_RETURN_IF_ERROR(Run(db,
                              "INSERT INTO metering_storage_month(org, month, byte_ms, last_bytes)"
                              " VALUES (?1, ?2, ?3, ?4) ON CONFLICT(org, month) DO UPDATE SET"
                              " byte_ms = excluded.byte_ms, last_bytes = excluded.last_bytes",
                              org, std::string_view(span.key),
                              std::string_view(Int128ToString(total)), bytes));
    t = end;
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<UsageMeter>> UsageMeter::Open(Database& db,
                                                     std::function<int64_t()> now_ms) {
  if (!now_ms) return Err(Status::InvalidArgument("metering: no clock"));
  LOCAI_RETURN_IF_ERROR(store::Migrate(db, "metering", kMeteringSteps));
  return std::unique_ptr<UsageMeter>(new UsageMeter(db, std::move(now_ms)));
}

Status UsageMeter::RecordNodeSeen(std::string_view org, std::string_view node_id, int64_t now_ms) {
  LOCAI_RETURN_IF_ERROR(CheckOrg(org));
  if (node_id.empty()) return Status::InvalidArgument("metering: empty node id");
  return Run(db_,
             "INSERT INTO metering_node_days(org, node_id, day, month) VALUES (?1, ?2, ?3, ?4)"
             " ON CONFLICT DO NOTHING",
             org, node_id, std::string_view(DayKey(now_ms)), std::string_view(MonthKey(now_ms)));
}

Status UsageMeter::RecordStorage(std::string_view org, int64_t total_bytes, int64_t now_ms) {
  LOCAI_RETURN_IF_ERROR(CheckOrg(org));
  LOCAI_RETURN_IF_ERROR(CheckNonNegative(total_bytes, "storage bytes"));
  LOCAI_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  int64_t since_ms = now_ms;
  {
    LOCAI_ASSIGN_OR_RETURN(
        Statement read,
        Query(db_, "SELECT bytes, since_ms FROM metering_storage_state WHERE org = ?1", org));
    LOCAI_ASSIGN_OR_RETURN(bool found, read.Step());
    if (found) {
      int64_t held = read.ColumnInt64(0);
      int64_t from = read.ColumnInt64(1);
      since_ms = std::max(from, now_ms);  // a clock that went back counts nothing
      LOCAI_RETURN_IF_ERROR(IntegrateStorage(db_, org, held, from, now_ms));
    }
  }
  // The month of the change records the new amount as its latest, even before time passes.
  LOCAI_RETURN_IF_ERROR(Run(db_,
                            "INSERT INTO metering_storage_month(org, month, byte_ms, last_bytes)"
                            " VALUES (?1, ?2, '0', ?3) ON CONFLICT(org, month) DO UPDATE SET"
                            " last_bytes = excluded.last_bytes",
                            org, std::string_view(MonthKey(since_ms)), total_bytes));
  LOCAI_RETURN_IF_ERROR(Run(db_,
                            "INSERT INTO metering_storage_state(org, bytes, since_ms)"
                            " VALUES (?1, ?2, ?3) ON CONFLICT(org) DO UPDATE SET"
                            " bytes = excluded.bytes, since_ms = excluded.since_ms",
                            org, total_bytes, since_ms));
  return tx.Commit();
}

Status UsageMeter::RecordEgress(std::string_view org, std::string_view kind, int64_t bytes,
                                int64_t now_ms) {
  LOCAI_RETURN_IF_ERROR(CheckOrg(org));
  LOCAI_RETURN_IF_ERROR(CheckNonNegative(bytes, "egress bytes"));
  if (kind != "registry" && kind != "cloud") {
    return Status::InvalidArgument("metering: egress kind must be registry or cloud, got '" +
                                   std::string(kind) + "'");
  }
  return Run(db_,
             "INSERT INTO metering_egress(org, month, kind, bytes) VALUES (?1, ?2, ?3, ?4)"
             " ON CONFLICT(org, month, kind) DO UPDATE SET bytes = bytes + excluded.bytes",
             org, std::string_view(MonthKey(now_ms)), kind, bytes);
}

Status UsageMeter::RecordRequest(std::string_view org, std::string_view route, int64_t tokens_in,
                                 int64_t tokens_out, int64_t now_ms) {
  return RecordRequests(org, route, 1, tokens_in, tokens_out, now_ms);
}

Status UsageMeter::RecordRequests(std::string_view org, std::string_view route, int64_t requests,
                                  int64_t tokens_in, int64_t tokens_out, int64_t now_ms) {
  LOCAI_RETURN_IF_ERROR(CheckOrg(org));
  LOCAI_RETURN_IF_ERROR(CheckNonNegative(requests, "requests"));
  LOCAI_RETURN_IF_ERROR(CheckNonNegative(tokens_in, "tokens"));
  LOCAI_RETURN_IF_ERROR(CheckNonNegative(tokens_out, "tokens"));
  if (route != "local" && route != "node" && route != "cloud") {
    return Status::InvalidArgument("metering: route must be local, node or cloud, got '" +
                                   std::string(route) + "'");
  }
  return Run(db_,
             "INSERT INTO metering_requests(org, month, route, requests, tokens_in, tokens_out)"
             " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(org, month, route) DO UPDATE SET"
             " requests = requests + excluded.requests, tokens_in = tokens_in + excluded.tokens_in,"
             " tokens_out = tokens_out + excluded.tokens_out",
             org, std::string_view(MonthKey(now_ms)), route, requests, tokens_in, tokens_out);
}

Result<MonthUsage> UsageMeter::Usage(std::string_view org, std::string_view month) const {
  LOCAI_RETURN_IF_ERROR(CheckOrg(org));
  LOCAI_ASSIGN_OR_RETURN(MonthSpan span, ParseMonth(month));
  MonthUsage usage;
  usage.org = std::string(org);
  usage.month = span.key;
  usage.month_start_ms = span.start_ms;
  usage.month_end_ms = span.end_ms;
  usage.as_of_ms = std::clamp(now_ms_(), span.start_ms, span.end_ms);
  // One read transaction would need BEGIN DEFERRED; holding the connection lock keeps the reads of
  // this connection together, and writers of other connections commit atomically.
  auto lock = db_.Lock();
  const std::string_view key = span.key;
  {
    LOCAI_ASSIGN_OR_RETURN(Statement nodes,
                           Query(db_,
                                 "SELECT COUNT(DISTINCT node_id), COUNT(*) FROM metering_node_days"
                                 " WHERE org = ?1 AND month = ?2",
                                 org, key));
    LOCAI_ASSIGN_OR_RETURN(bool row, nodes.Step());
    if (row) {
      usage.active_nodes = nodes.ColumnInt64(0);
      usage.node_days = nodes.ColumnInt64(1);
    }
  }
  {
    LOCAI_ASSIGN_OR_RETURN(
        Statement egress,
        Query(db_, "SELECT kind, bytes FROM metering_egress WHERE org = ?1 AND month = ?2", org,
              key));
    for (;;) {
      LOCAI_ASSIGN_OR_RETURN(bool row, egress.Step());
      if (!row) break;
      (egress.ColumnText(0) == "registry" ? usage.egress_registry_bytes
                                          : usage.egress_cloud_bytes) = egress.ColumnInt64(1);
    }
  }
  {
    LOCAI_ASSIGN_OR_RETURN(Statement requests,
                           Query(db_,
                                 "SELECT route, requests, tokens_in, tokens_out FROM"
                                 " metering_requests WHERE org = ?1 AND month = ?2",
                                 org, key));
    for (;;) {
      LOCAI_ASSIGN_OR_RETURN(bool row, requests.Step());
      if (!row) break;
      std::string route = requests.ColumnText(0);
      RouteUsage& into = route == "local"  ? usage.local
                         : route == "node" ? usage.node
                                           : usage.cloud;
      into.requests = requests.ColumnInt64(1);
      into.tokens_in = requests.ColumnInt64(2);
      into.tokens_out = requests.ColumnInt64(3);
    }
  }
  Int128 byte_ms = 0;
  {
    LOCAI_ASSIGN_OR_RETURN(Statement month_row,
                           Query(db_,
                                 "SELECT byte_ms, last_bytes FROM metering_storage_month"
                                 " WHERE org = ?1 AND month = ?2",
                                 org, key));
    LOCAI_ASSIGN_OR_RETURN(bool row, month_row.Step());
    if (row) {
      LOCAI_ASSIGN_OR_RETURN(byte_ms, ParseInt128(month_row.ColumnText(0)));
      usage.storage_bytes = month_row.ColumnInt64(1);
    }
  }
  {
    // The amount held since the last change, up to now, is not integrated yet.
    LOCAI_ASSIGN_OR_RETURN(
        Statement state,
        Query(db_, "SELECT bytes, since_ms FROM metering_storage_state WHERE org = ?1", org));
    LOCAI_ASSIGN_OR_RETURN(bool row, state.Step());
    if (row && state.ColumnInt64(1) < span.end_ms) {
      int64_t held = state.ColumnInt64(0);
      int64_t from = std::max(state.ColumnInt64(1), span.start_ms);
      if (usage.as_of_ms > from) byte_ms += static_cast<Int128>(held) * (usage.as_of_ms - from);
      usage.storage_bytes = held;  // the latest amount, held at the end of (or now in) the month
    }
  }
  usage.storage_byte_months =
      static_cast<int64_t>((byte_ms + span.length_ms() / 2) / span.length_ms());
  return usage;
}

Result<MonthUsage> UsageMeter::CurrentUsage(std::string_view org) const {
  return Usage(org, MonthKey(now_ms_()));
}

Result<int64_t> UsageMeter::RegistryEgressInMonth(std::string_view org,
                                                  std::string_view month) const {
  LOCAI_ASSIGN_OR_RETURN(Statement read,
                         Query(db_,
                               "SELECT bytes FROM metering_egress WHERE org = ?1 AND month = ?2"
                               " AND kind = 'registry'",
                               org, month));
  LOCAI_ASSIGN_OR_RETURN(bool row, read.Step());
  return row ? read.ColumnInt64(0) : 0;
}

Status UsageMeter::CheckEgress(std::string_view org, const Plan& plan, int64_t bytes) const {
  LOCAI_RETURN_IF_ERROR(CheckOrg(org));
  LOCAI_RETURN_IF_ERROR(CheckNonNegative(bytes, "egress bytes"));
  LOCAI_ASSIGN_OR_RETURN(int64_t used, RegistryEgressInMonth(org, MonthKey(now_ms_())));
  return CheckEgressLimit(plan, org, used, bytes);
}

Status UsageMeter::ChargeEgress(std::string_view org, const Plan& plan, int64_t bytes,
                                int64_t now_ms) {
  LOCAI_RETURN_IF_ERROR(CheckOrg(org));
  LOCAI_RETURN_IF_ERROR(CheckNonNegative(bytes, "egress bytes"));
  LOCAI_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  LOCAI_ASSIGN_OR_RETURN(int64_t used, RegistryEgressInMonth(org, MonthKey(now_ms)));
  LOCAI_RETURN_IF_ERROR(CheckEgressLimit(plan, org, used, bytes));
  LOCAI_RETURN_IF_ERROR(RecordEgress(org, "registry", bytes, now_ms));
  return tx.Commit();
}

}  // namespace locai::control::metering
