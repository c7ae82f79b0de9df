// A 128-bit integer for exact byte-millisecond integrals (10 TB held for a month is ~2.7e22,
// past int64), with decimal text conversion for storing it in SQLite (whose integers are 64-bit).
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace locai::control::metering {

__extension__ typedef __int128 Int128;  // __extension__: GCC/Clang builtin, quiet under -Wpedantic

// Decimal text of a value (with '-' when negative).
std::string Int128ToString(Int128 value);
// Parses what Int128ToString writes; InvalidArgument for anything else or overflow.
Result<Int128> ParseInt128(std::string_view text);

}  // namespace locai::control::metering
