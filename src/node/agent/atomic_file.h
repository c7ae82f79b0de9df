// Durable file writes for the node's data directory: a file is written to a temporary name in the
// same directory, fsynced, renamed over the target and the directory fsynced, so that a crash
// leaves either the old file or the new one, never a torn one.
// Thread-safety: pure functions; concurrent writers of one path race on the rename (last wins).
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "common/status.h"

namespace locai::node::agent {

// Writes `contents` to `path` atomically with permission bits `mode` (applied before any byte is
// written, so a secret is never readable by others). Creates missing parent directories (0700).
// Unavailable on an I/O error (the message names the path and errno); the temporary is removed.
[[nodiscard]] Status WriteFileAtomically(const std::string& path, std::string_view contents,
                                         mode_t mode);

// Reads a whole file. NotFound when it does not exist, Unavailable on another error.
[[nodiscard]] Result<std::string> ReadWholeFile(const std::string& path);

// fsyncs a directory so that a rename or unlink in it is durable. Unavailable on error.
[[nodiscard]] Status FsyncDirectory(const std::string& dir);

// Creates `dir` and its missing parents with mode 0700. Unavailable on error.
[[nodiscard]] Status MakeDirectories(const std::string& dir);

}  // namespace locai::node::agent
