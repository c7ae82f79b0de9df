// Small file helpers for the server's data directory: whole-file reads and crash-safe writes.
// Thread-safety: pure functions over the file system.
#pragma once

#include <string>

#include "common/status.h"

namespace locai::control::server {

// The contents of `path`; NotFound when it does not exist, Internal on another error.
Result<std::string> ReadWholeFile(const std::string& path);

// Writes `contents` to `path` with permissions `mode` (e.g. 0600): a temporary file in the same
// directory, fsynced, renamed into place, the directory fsynced. The file never exists with wider
// permissions than `mode`. Internal with the OS error otherwise.
Status WriteFileAtomically(const std::string& path, const std::string& contents, unsigned mode);

// Creates `path` and its missing parents with mode 0700. Internal with the OS error otherwise.
Status MakeDirectories(const std::string& path);

}  // namespace locai::control::server
