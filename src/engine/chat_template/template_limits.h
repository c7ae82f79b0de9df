// Limits and options of the sandboxed Jinja interpreter (see chat_template.h).
// Thread-safety: plain values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace locai::engine {

// Every limit, when exceeded, makes Parse or Render return ResourceExhausted with a message naming
// the limit. They exist so that a hostile template (templates come from downloaded model files)
// ends quickly with an error instead of crashing, overflowing the stack or hanging.
struct TemplateLimits {
  size_t max_source_bytes = size_t{1} << 20;
  // Nesting of blocks in the template and of expressions; the interpreter's runtime recursion
  // (expressions, statements and macro calls together) is bounded by four times this.
  int max_nesting_depth = 256;
  // Iterations of all loops of one render together.
  uint64_t max_loop_iterations = 1'000'000;
  // The rendered output, and also the largest string a template may build.
  size_t max_output_bytes = size_t{16} << 20;
  // The longest list range() may build.
  int64_t max_range_length = 1'000'000;
  // Work units of one render: one per statement or expression evaluated, plus one per 64 bytes or
  // per element a built-in copies. Bounds the time of anything the other limits do not.
  uint64_t max_steps = 10'000'000;
};

// Per-render inputs that are not template variables.
struct RenderOptions {
  // The clock behind strftime_now(), in seconds since the Unix epoch (UTC). When unset,
  // strftime_now is undefined, so templates fall back to their built-in date.
  std::optional<int64_t> now_unix_seconds;
};

}  // namespace locai::engine
