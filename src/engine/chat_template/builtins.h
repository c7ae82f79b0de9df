// Built-ins of the Jinja interpreter: filters (`x | trim`), tests (`x is defined`), methods of
// strings and dicts (`s.strip()`, `d.items()`), and the global functions (`range`, `namespace`,
// `raise_exception`, `strftime_now`).
//
// Each returns an error Status instead of throwing: InvalidArgument for wrong types or values,
// Unimplemented for a name that does not exist here, ResourceExhausted when EvalBudget refuses
// the work. Messages carry no position; the evaluator adds the line and column.
// Thread-safety: functions over the caller's EvalBudget; one budget per render.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "engine/chat_template/template_limits.h"
#include "engine/chat_template/value.h"

namespace locai::engine::jinja {

// The work accounting of one render.
class EvalBudget {
 public:
  EvalBudget(const TemplateLimits& limits, const RenderOptions& options)
      : limits_(limits), options_(options) {}

  const TemplateLimits& limits() const { return limits_; }
  const RenderOptions& options() const { return options_; }
  int max_value_depth() const { return limits_.max_nesting_depth * 2; }

  // Adds `units` of work; ResourceExhausted past max_steps.
  Status Charge(uint64_t units);
  // Charges for building a string of `bytes` and refuses one longer than max_output_bytes.
  Status ChargeString(size_t bytes);
  // Counts one loop iteration; ResourceExhausted past max_loop_iterations.
  Status CountIteration();
  // Work units left before max_steps.
  uint64_t remaining() const { return steps_ < limits_.max_steps ? limits_.max_steps - steps_ : 0; }

 private:
  TemplateLimits limits_;
  RenderOptions options_;
  uint64_t steps_ = 0;
  uint64_t iterations_ = 0;
};

struct CallArgs {
  std::vector<TemplateValue> positional;
  std::vector<std::pair<std::string, TemplateValue>> named;

  // The argument at `index` or named `name`, or null when neither was given.
  const TemplateValue* Get(size_t index, std::string_view name) const;
};

// `input | name(args)`.
Result<TemplateValue> ApplyFilter(EvalBudget& budget, std::string_view name,
                                  const TemplateValue& input, const CallArgs& args);
// `input is name(args)`.
Result<bool> ApplyTest(EvalBudget& budget, std::string_view name, const TemplateValue& input,
                       const CallArgs& args);
// `object.name(args)` for strings, dicts and loop objects.
Result<TemplateValue> CallMethod(EvalBudget& budget, const TemplateValue& object,
                                 std::string_view name, const CallArgs& args);
// True when `name` is a global function available in this render.
bool IsGlobalFunction(const EvalBudget& budget, std::string_view name);
// `name(args)` for a global function.
Result<TemplateValue> CallGlobal(EvalBudget& budget, std::string_view name, const CallArgs& args);

// Operators (operators.cc): `a op b` for + - * / // % ** ~ == != < <= > >= in, "not in".
Result<TemplateValue> ApplyBinaryOperator(EvalBudget& budget, std::string_view op,
                                          const TemplateValue& a, const TemplateValue& b);
// `value[key]`: list index (negative from the end), dict key, string character; undefined when
// absent.
Result<TemplateValue> GetItem(EvalBudget& budget, const TemplateValue& value,
                              const TemplateValue& key);
// `value[start:stop:step]` for lists and strings, with Python's bounds rules; bounds may be
// undefined or none.
Result<TemplateValue> GetSlice(EvalBudget& budget, const TemplateValue& value,
                               const TemplateValue& start, const TemplateValue& stop,
                               const TemplateValue& step);

// Shared helpers.
// Refuses (ResourceExhausted) a value nested deeper than max_value_depth() - `extra`, and
// (InvalidArgument) one that holds a namespace when `allow_namespace` is false; charged per node.
// Checked wherever a template builds a container, so values stay shallow and acyclic.
Status CheckValue(EvalBudget& budget, const TemplateValue& value, int extra, bool allow_namespace);
// str(value) with the budget's depth limit, and charged.
Result<std::string> Stringify(EvalBudget& budget, const TemplateValue& value);
// The items a `for` loop visits: list items, dict keys, string characters; undefined is empty.
Result<TemplateArray> IterateValue(EvalBudget& budget, const TemplateValue& value);
// Python's <, for numbers, strings and lists: -1, 0, 1; an error for other kinds. Both charge the
// budget per pair of values visited.
Result<int> CompareValues(EvalBudget& budget, const TemplateValue& a, const TemplateValue& b);
// Python ==.
Result<bool> Equal(EvalBudget& budget, const TemplateValue& a, const TemplateValue& b);
// Byte offsets of the UTF-8 characters of `s` (invalid bytes count as one character each), plus
// s.size() at the end.
std::vector<size_t> Utf8Offsets(std::string_view s);

}  // namespace locai::engine::jinja
