// The audit log's Ed25519 signing key (it signs retention checkpoints, docs/audit-log.md), kept in
// server/audit.key as 64 hex characters and a newline, mode 0600.
//
// LoadOrCreateAuditKey returns the 32-byte private key in `path`, or on first start generates
// one and writes it atomically (a temporary file in the same directory with mode 0600, fsynced,
// renamed into place, the directory fsynced), so a crash never leaves a half-written key.
// Errors: DataLoss when the file exists but does not hold a key (it is never overwritten: the
// checkpoints signed with it would stop verifying); Internal for file system errors.
// Thread-safety: call once at start-up; two processes racing on a first start may both generate
// (the last rename wins), which the server's single-instance data directory rules out.
#pragma once

#include <string>

#include "common/status.h"

namespace locai::control::compliance {

Result<std::string> LoadOrCreateAuditKey(const std::string& path);

// Writes `contents` to `path` with permissions `mode`, atomically as described above.
Status WriteFileAtomically(const std::string& path, const std::string& contents, unsigned mode);

}  // namespace locai::control::compliance
