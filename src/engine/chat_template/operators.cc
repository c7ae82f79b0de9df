// Operators, indexing, slicing and iteration with Python's semantics, plus the work budget.
#include <cmath>
#include <limits>

#include "engine/chat_template/builtins.h"

namespace locai::engine::jinja {
namespace {

Status TypeError(std::string_view op, const TemplateValue& a, const TemplateValue& b) {
  return Status::InvalidArgument("unsupported operand types for " + std::string(op) + ": '" +
                                 std::string(a.TypeName()) + "' and '" + std::string(b.TypeName()) +
                                 "'");
}

bool IsIntLike(const TemplateValue& v) { return v.is_int() || v.is_bool(); }
bool IsNumeric(const TemplateValue& v) { return v.is_number() || v.is_bool(); }

Status Overflow() { return Status::InvalidArgument("integer overflow"); }

Result<TemplateValue> Repeat(EvalBudget& budget, const TemplateValue& seq, int64_t times) {
  if (times <= 0) return seq.is_string() ? TemplateValue("") : TemplateValue::Array();
  const size_t limit = budget.limits().max_output_bytes;
  if (seq.is_string()) {
    const std::string& s = seq.AsString();
    if (!s.empty() && static_cast<uint64_t>(times) > limit / s.size()) {
      return Err(Status::ResourceExhausted("string repetition larger than the output limit"));
    }
    LOCAI_RETURN_IF_ERROR(budget.ChargeString(s.size() * static_cast<size_t>(times)));
    std::string out;
    out.reserve(s.size() * static_cast<size_t>(times));
    for (int64_t i = 0; i < times; ++i) out += s;
    return TemplateValue(std::move(out));
  }
  const TemplateArray& items = seq.AsArray();
  if (!items.empty() && static_cast<uint64_t>(times) > limit / 16 / items.size()) {
    return Err(Status::ResourceExhausted("list repetition larger than the output limit"));
  }
  LOCAI_RETURN_IF_ERROR(budget.Charge(items.size() * static_cast<uint64_t>(times)));
  TemplateArray out;
  for (int64_t i = 0; i < times; ++i) out.insert(out.end(), items.begin(), items.end());
  return TemplateValue(std::move(out));
}

Result<TemplateValue> IntPower(int64_t base, int64_t exponent) {
  int64_t result = 1;
  while (exponent > 0) {
    if ((exponent & 1) != 0 && __builtin_mul_overflow(result, base, &result)) {
      return Err(Overflow());
    }
    exponent >>= 1;
    if (exponent > 0 && __builtin_mul_overflow(base, base, &base)) return Err(Overflow());
  }
  return TemplateValue(result);
}

// printf-style `format % args` with %s, %d, %i, %r and %%; no widths or precisions.
Result<TemplateValue> PercentFormat(EvalBudget& budget, const std::string& format,
                                    const TemplateValue& args) {
  const TemplateArray values = args.is_array() ? args.AsArray() : TemplateArray{args};
  size_t next = 0;
  std::string out;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') {
      out.push_back(format[i]);
      continue;
    }
    if (i + 1 >= format.size()) return Err(Status::InvalidArgument("incomplete format"));
    const char spec = format[++i];
    if (spec == '%') {
      out.push_back('%');
      continue;
    }
    if (next >= values.size())
      return Err(Status::InvalidArgument("not enough arguments for format string"));
    const TemplateValue& v = values[next++];
    if (spec == 's') {
      LOCAI_ASSIGN_OR_RETURN(std::string text, Stringify(budget, v));
      out += text;
    } else if (spec == 'r') {
      LOCAI_ASSIGN_OR_RETURN(std::string text, ToPythonRepr(v, budget.max_value_depth(),
                                                            budget.limits().max_output_bytes));
      out += text;
    } else if (spec == 'd' || spec == 'i') {
      if (!IsNumeric(v)) return Err(Status::InvalidArgument("%d format: a number is required"));
      out += std::to_string(v.is_double() ? static_cast<int64_t>(v.AsDouble()) : v.AsInt());
    } else {
      return Err(Status::Unimplemented(std::string("unsupported format character '") + spec + "'"));
    }
    LOCAI_RETURN_IF_ERROR(budget.ChargeString(out.size()));
  }
  if (next < values.size())
    return Err(Status::InvalidArgument("not all arguments converted during string formatting"));
  return TemplateValue(std::move(out));
}

Result<TemplateValue> Arithmetic(EvalBudget& budget, std::string_view op, const TemplateValue& a,
                                 const TemplateValue& b) {
  if (op == "%" && a.is_string()) return PercentFormat(budget, a.AsString(), b);
  if (op == "+") {
    if (a.is_string() && b.is_string()) {
      LOCAI_RETURN_IF_ERROR(budget.ChargeString(a.AsString().size() + b.AsString().size()));
      return TemplateValue(a.AsString() + b.AsString());
    }
    if (a.is_array() && b.is_array()) {
      const size_t n = a.AsArray().size() + b.AsArray().size();
      LOCAI_RETURN_IF_ERROR(budget.Charge(n));
      if (n > budget.limits().max_output_bytes / 16) {
        return Err(Status::ResourceExhausted("list larger than the output limit"));
      }
      TemplateArray out = a.AsArray();
      out.insert(out.end(), b.AsArray().begin(), b.AsArray().end());
      return TemplateValue(std::move(out));
    }
  }
  if (op == "*") {
    if ((a.is_string() || a.is_array()) && IsIntLike(b)) return Repeat(budget, a, b.AsInt());
    if ((b.is_string() || b.is_array()) && IsIntLike(a)) return Repeat(budget, b, a.AsInt());
  }
  if (!IsNumeric(a) || !IsNumeric(b)) return Err(TypeError(op, a, b));
  if (op == "/") {
    if (b.AsDouble() == 0.0) return Err(Status::InvalidArgument("division by zero"));
    return TemplateValue(a.AsDouble() / b.AsDouble());
  }
  if (IsIntLike(a) && IsIntLike(b)) {
    const int64_t x = a.AsInt();
    const int64_t y = b.AsInt();
    int64_t r = 0;
    if (op == "+") {
      if (__builtin_add_overflow(x, y, &r)) return Err(Overflow());
    } else if (op == "-") {
      if (__builtin_sub_overflow(x, y, &r)) return Err(Overflow());
    } else if (op == "*") {
      if (__builtin_mul_overflow(x, y, &r)) return Err(Overflow());
    } else if (op == "//" || op == "%") {
      if (y == 0) return Err(Status::InvalidArgument("integer division or modulo by zero"));
      if (x == std::numeric_limits<int64_t>::min() && y == -1) return Err(Overflow());
      int64_t q = x / y;
      int64_t m = x % y;
      if (m != 0 && ((m < 0) != (y < 0))) {  // Python floors toward negative infinity
        --q;
        m += y;
      }
      r = op == "//" ? q : m;
    } else if (op == "**") {
      if (y < 0) return TemplateValue(std::pow(static_cast<double>(x), static_cast<double>(y)));
      return IntPower(x, y);
    } else {
      return Err(TypeError(op, a, b));
    }
    return TemplateValue(r);
  }
  const double x = a.AsDouble();
  const double y = b.AsDouble();
  if (op == "+") return TemplateValue(x + y);
  if (op == "-") return TemplateValue(x - y);
  if (op == "*") return TemplateValue(x * y);
  if (op == "**") return TemplateValue(std::pow(x, y));
  if (op == "//" || op == "%") {
    if (y == 0.0) return Err(Status::InvalidArgument("float division or modulo by zero"));
    double m = std::fmod(x, y);
    if (m != 0.0 && ((m < 0) != (y < 0))) m += y;
    if (op == "%") return TemplateValue(m);
    return TemplateValue(std::floor((x - m) / y + 0.5));
  }
  return Err(TypeError(op, a, b));
}

Result<bool> Contains(EvalBudget& budget, const TemplateValue& container,
                      const TemplateValue& item) {
  if (container.is_string()) {
    if (!item.is_string()) return Err(TypeError("in", item, container));
    LOCAI_RETURN_IF_ERROR(budget.Charge(container.AsString().size() / 64));
    return container.AsString().find(item.AsString()) != std::string::npos;
  }
  if (container.is_array()) {
    for (const TemplateValue& element : container.AsArray()) {
      LOCAI_RETURN_IF_ERROR(budget.Charge(1));
      LOCAI_ASSIGN_OR_RETURN(bool eq, Equal(budget, element, item));
      if (eq) return true;
    }
    return false;
  }
  if (container.is_object()) {
    return item.is_string() && container.Find(item.AsString()) != nullptr;
  }
  return Err(Status::InvalidArgument("argument of type '" + std::string(container.TypeName()) +
                                     "' is not iterable"));
}

// Python's slice.indices(): clamps the bounds to a sequence of `length` items.
void SliceIndices(int64_t length, const TemplateValue& start_v, const TemplateValue& stop_v,
                  int64_t step, int64_t* start, int64_t* stop) {
  auto given = [](const TemplateValue& v) { return !v.is_undefined() && !v.is_null(); };
  const int64_t lower = step < 0 ? -1 : 0;
  const int64_t upper = step < 0 ? length - 1 : length;
  auto clamp = [&](const TemplateValue& v, int64_t fallback) {
    if (!given(v)) return fallback;
    int64_t i = v.AsInt();
    if (i < 0) {
      i = i < -length ? lower : i + length;
      return std::max(i, lower);
    }
    return std::min(i, upper);
  };
  *start = clamp(start_v, step < 0 ? upper : lower);
  *stop = clamp(stop_v, step < 0 ? lower : upper);
}

}  // namespace

Status EvalBudget::Charge(uint64_t units) {
  steps_ += units;
  if (steps_ > limits_.max_steps) {
    return Status::ResourceExhausted("template needs more than " +
                                     std::to_string(limits_.max_steps) + " steps");
  }
  return Status::Ok();
}

Status EvalBudget::ChargeString(size_t bytes) {
  if (bytes > limits_.max_output_bytes) {
    return Status::ResourceExhausted("string larger than the output limit of " +
                                     std::to_string(limits_.max_output_bytes) + " bytes");
  }
  return Charge(bytes / 64 + 1);
}

Status EvalBudget::CountIteration() {
  if (++iterations_ > limits_.max_loop_iterations) {
    return Status::ResourceExhausted("more than " + std::to_string(limits_.max_loop_iterations) +
                                     " loop iterations");
  }
  return Charge(1);
}

const TemplateValue* CallArgs::Get(size_t index, std::string_view name) const {
  if (index < positional.size()) return &positional[index];
  for (const auto& [key, value] : named) {
    if (key == name) return &value;
  }
  return nullptr;
}

std::vector<size_t> Utf8Offsets(std::string_view s) {
  std::vector<size_t> offsets;
  offsets.reserve(s.size() + 1);
  size_t i = 0;
  while (i < s.size()) {
    offsets.push_back(i);
    const unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80           ? 1
                 : (c >> 5) == 0x6  ? 2
                 : (c >> 4) == 0xE  ? 3
                 : (c >> 3) == 0x1E ? 4
                                    : 1;
    if (i + len > s.size()) len = 1;
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) {
        len = 1;
        break;
      }
    }
    i += len;
  }
  offsets.push_back(s.size());
  return offsets;
}

namespace {
Status CheckValueAt(EvalBudget& budget, const TemplateValue& value, int depth,
                    bool allow_namespace) {
  if (depth > budget.max_value_depth()) return Status::ResourceExhausted("value nested too deeply");
  if (value.is_array()) {
    LOCAI_RETURN_IF_ERROR(budget.Charge(value.AsArray().size()));
    for (const TemplateValue& item : value.AsArray()) {
      if (item.is_array() || item.is_object()) {
        LOCAI_RETURN_IF_ERROR(CheckValueAt(budget, item, depth + 1, allow_namespace));
      }
    }
  } else if (value.is_object()) {
    if (!allow_namespace && value.AsObject().is_namespace) {
      return Status::InvalidArgument("a namespace cannot be stored in a namespace");
    }
    LOCAI_RETURN_IF_ERROR(budget.Charge(value.AsObject().size()));
    for (const auto& entry : value.AsObject().entries()) {
      if (entry.second.is_array() || entry.second.is_object()) {
        LOCAI_RETURN_IF_ERROR(CheckValueAt(budget, entry.second, depth + 1, allow_namespace));
      }
    }
  }
  return Status::Ok();
}
}  // namespace

Status CheckValue(EvalBudget& budget, const TemplateValue& value, int extra, bool allow_namespace) {
  if (!value.is_array() && !value.is_object()) return Status::Ok();
  return CheckValueAt(budget, value, 1 + extra, allow_namespace);
}

Result<std::string> Stringify(EvalBudget& budget, const TemplateValue& value) {
  if (value.is_string()) return value.AsString();
  LOCAI_ASSIGN_OR_RETURN(std::string text, ToPythonString(value, budget.max_value_depth(),
                                                          budget.limits().max_output_bytes));
  LOCAI_RETURN_IF_ERROR(budget.ChargeString(text.size()));
  return text;
}

Result<TemplateArray> IterateValue(EvalBudget& budget, const TemplateValue& value) {
  switch (value.kind()) {
    case TemplateValue::Kind::kUndefined:
      return TemplateArray{};
    case TemplateValue::Kind::kArray:
      LOCAI_RETURN_IF_ERROR(budget.Charge(value.AsArray().size()));
      return value.AsArray();
    case TemplateValue::Kind::kObject: {
      TemplateArray keys;
      for (const auto& entry : value.AsObject().entries()) keys.emplace_back(entry.first);
      LOCAI_RETURN_IF_ERROR(budget.Charge(keys.size()));
      return keys;
    }
    case TemplateValue::Kind::kString: {
      const std::string& s = value.AsString();
      const std::vector<size_t> offsets = Utf8Offsets(s);
      LOCAI_RETURN_IF_ERROR(budget.Charge(offsets.size()));
      TemplateArray chars;
      for (size_t i = 0; i + 1 < offsets.size(); ++i) {
        chars.emplace_back(s.substr(offsets[i], offsets[i + 1] - offsets[i]));
      }
      return chars;
    }
    default:
      return Err(Status::InvalidArgument("'" + std::string(value.TypeName()) +
                                         "' object is not iterable"));
  }
}

namespace {
Result<int> CompareAt(EvalBudget& budget, const TemplateValue& a, const TemplateValue& b,
                      int depth) {
  if (depth > budget.max_value_depth())
    return Err(Status::ResourceExhausted("value nested too deeply"));
  LOCAI_RETURN_IF_ERROR(budget.Charge(1));
  if (IsNumeric(a) && IsNumeric(b)) {
    if (IsIntLike(a) && IsIntLike(b)) return a.AsInt() < b.AsInt() ? -1 : a.AsInt() > b.AsInt();
    return a.AsDouble() < b.AsDouble() ? -1 : a.AsDouble() > b.AsDouble();
  }
  if (a.is_string() && b.is_string()) {
    const int c = a.AsString().compare(b.AsString());
    return c < 0 ? -1 : c > 0;
  }
  if (a.is_array() && b.is_array()) {
    const TemplateArray& x = a.AsArray();
    const TemplateArray& y = b.AsArray();
    for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
      LOCAI_ASSIGN_OR_RETURN(int c, CompareAt(budget, x[i], y[i], depth + 1));
      if (c != 0) return c;
    }
    return x.size() < y.size() ? -1 : x.size() > y.size();
  }
  return Err(Status::InvalidArgument("cannot compare '" + std::string(a.TypeName()) + "' and '" +
                                     std::string(b.TypeName()) + "'"));
}
}  // namespace

Result<int> CompareValues(EvalBudget& budget, const TemplateValue& a, const TemplateValue& b) {
  return CompareAt(budget, a, b, 0);
}

Result<bool> Equal(EvalBudget& budget, const TemplateValue& a, const TemplateValue& b) {
  uint64_t nodes = budget.remaining();
  const uint64_t before = nodes;
  auto eq = ValuesEqual(a, b, budget.max_value_depth(), &nodes);
  LOCAI_RETURN_IF_ERROR(budget.Charge(before - nodes));
  return eq;
}

Result<TemplateValue> ApplyBinaryOperator(EvalBudget& budget, std::string_view op,
                                          const TemplateValue& a, const TemplateValue& b) {
  if (op == "~") {
    LOCAI_ASSIGN_OR_RETURN(std::string left, Stringify(budget, a));
    LOCAI_ASSIGN_OR_RETURN(std::string right, Stringify(budget, b));
    LOCAI_RETURN_IF_ERROR(budget.ChargeString(left.size() + right.size()));
    return TemplateValue(left + right);
  }
  if (op == "==" || op == "!=") {
    LOCAI_ASSIGN_OR_RETURN(bool eq, Equal(budget, a, b));
    return TemplateValue(eq == (op == "=="));
  }
  if (op == "<" || op == "<=" || op == ">" || op == ">=") {
    LOCAI_ASSIGN_OR_RETURN(int c, CompareValues(budget, a, b));
    if (op == "<") return TemplateValue(c < 0);
    if (op == "<=") return TemplateValue(c <= 0);
    if (op == ">") return TemplateValue(c > 0);
    return TemplateValue(c >= 0);
  }
  if (op == "in" || op == "not in") {
    LOCAI_ASSIGN_OR_RETURN(bool found, Contains(budget, b, a));
    return TemplateValue(found == (op == "in"));
  }
  return Arithmetic(budget, op, a, b);
}

Result<TemplateValue> GetItem(EvalBudget& budget, const TemplateValue& value,
                              const TemplateValue& key) {
  if (value.is_object()) {
    if (!key.is_string()) return TemplateValue::Undefined();
    const TemplateValue* found = value.Find(key.AsString());
    return found != nullptr ? *found : TemplateValue::Undefined();
  }
  if (!IsIntLike(key)) {
    if (value.is_array() || value.is_string()) {
      if (key.is_string()) return TemplateValue::Undefined();  // e.g. a method name
      return Err(Status::InvalidArgument("indices must be integers, not '" +
                                         std::string(key.TypeName()) + "'"));
    }
    return TemplateValue::Undefined();
  }
  int64_t index = key.AsInt();
  if (value.is_array()) {
    const int64_t n = static_cast<int64_t>(value.AsArray().size());
    if (index < 0) index += n;
    if (index < 0 || index >= n) return TemplateValue::Undefined();
    return value.AsArray()[static_cast<size_t>(index)];
  }
  if (value.is_string()) {
    const std::string& s = value.AsString();
    const std::vector<size_t> offsets = Utf8Offsets(s);
    LOCAI_RETURN_IF_ERROR(budget.Charge(offsets.size() / 64));
    const int64_t n = static_cast<int64_t>(offsets.size()) - 1;
    if (index < 0) index += n;
    if (index < 0 || index >= n) return TemplateValue::Undefined();
    const size_t i = static_cast<size_t>(index);
    return TemplateValue(s.substr(offsets[i], offsets[i + 1] - offsets[i]));
  }
  return TemplateValue::Undefined();
}

Result<TemplateValue> GetSlice(EvalBudget& budget, const TemplateValue& value,
                               const TemplateValue& start_v, const TemplateValue& stop_v,
                               const TemplateValue& step_v) {
  for (const TemplateValue* bound : {&start_v, &stop_v, &step_v}) {
    if (!bound->is_undefined() && !bound->is_null() && !IsIntLike(*bound)) {
      return Err(Status::InvalidArgument("slice indices must be integers or None"));
    }
  }
  const int64_t step = (step_v.is_undefined() || step_v.is_null()) ? 1 : step_v.AsInt();
  if (step == 0) return Err(Status::InvalidArgument("slice step cannot be zero"));
  if (!value.is_array() && !value.is_string()) {
    if (value.is_undefined())
      return Err(Status::InvalidArgument("cannot slice an undefined value"));
    return Err(Status::InvalidArgument("'" + std::string(value.TypeName()) +
                                       "' object is not subscriptable"));
  }
  std::vector<size_t> offsets;
  int64_t length = 0;
  if (value.is_string()) {
    offsets = Utf8Offsets(value.AsString());
    length = static_cast<int64_t>(offsets.size()) - 1;
  } else {
    length = static_cast<int64_t>(value.AsArray().size());
  }
  LOCAI_RETURN_IF_ERROR(budget.Charge(static_cast<uint64_t>(length) / 16 + 1));
  int64_t start = 0;
  int64_t stop = 0;
  SliceIndices(length, start_v, stop_v, step, &start, &stop);
  std::vector<size_t> picked;
  for (int64_t i = start; step > 0 ? i < stop : i > stop;) {
    picked.push_back(static_cast<size_t>(i));
    if (__builtin_add_overflow(i, step, &i)) break;
  }
  if (value.is_string()) {
    const std::string& s = value.AsString();
    std::string out;
    for (size_t i : picked) out.append(s, offsets[i], offsets[i + 1] - offsets[i]);
    return TemplateValue(std::move(out));
  }
  TemplateArray out;
  out.reserve(picked.size());
  for (size_t i : picked) out.push_back(value.AsArray()[i]);
  return TemplateValue(std::move(out));
}

}  // namespace locai::engine::jinja
