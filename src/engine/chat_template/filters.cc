// Jinja filters (`value | name(args)`).
#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "engine/chat_template/builtins.h"
#include "engine/chat_template/text_util.h"

namespace locai::engine::jinja {
namespace {

using Kind = TemplateValue::Kind;

Status BadInput(std::string_view filter, const TemplateValue& input) {
  return Status::InvalidArgument("filter '" + std::string(filter) + "' cannot be applied to '" +
                                 std::string(input.TypeName()) + "'");
}

bool ArgBool(const CallArgs& args, size_t index, std::string_view name, bool fallback) {
  const TemplateValue* v = args.Get(index, name);
  return v == nullptr ? fallback : v->Truthy();
}

const std::string* ArgString(const CallArgs& args, size_t index, std::string_view name) {
  const TemplateValue* v = args.Get(index, name);
  return (v != nullptr && v->is_string()) ? &v->AsString() : nullptr;
}

// Follows a dotted attribute path ("a.b" or "items.0") as map()/selectattr()/sort() do.
TemplateValue GetAttributePath(const TemplateValue& value, std::string_view path) {
  TemplateValue current = value;
  size_t start = 0;
  while (start <= path.size()) {
    const size_t dot = std::min(path.find('.', start), path.size());
    const std::string part(path.substr(start, dot - start));
    if (current.is_object()) {
      const TemplateValue* found = current.Find(part);
      current = found != nullptr ? *found : TemplateValue::Undefined();
    } else if (current.is_array() && !part.empty() &&
               part.find_first_not_of("0123456789") == std::string::npos && part.size() < 10) {
      const size_t index = static_cast<size_t>(std::stoul(part));
      current = index < current.AsArray().size() ? current.AsArray()[index] : TemplateValue();
    } else {
      return TemplateValue::Undefined();
    }
    start = dot + 1;
  }
  return current;
}

Result<size_t> Length(const TemplateValue& v) {
  switch (v.kind()) {
    case Kind::kUndefined:
      return size_t{0};
    case Kind::kString:
      return Utf8Offsets(v.AsString()).size() - 1;
    case Kind::kArray:
      return v.AsArray().size();
    case Kind::kObject:
      return v.AsObject().size();
    default:
      return Err(Status::InvalidArgument("object of type '" + std::string(v.TypeName()) +
                                         "' has no len()"));
  }
}

// Sort key for sort/unique/dictsort: strings lower-cased unless case-sensitive.
TemplateValue SortKey(const TemplateValue& v, bool case_sensitive) {
  if (!case_sensitive && v.is_string()) return TemplateValue(AsciiLower(v.AsString()));
  return v;
}

Result<TemplateValue> SortFilter(EvalBudget& budget, const TemplateValue& input,
                                 const CallArgs& args) {
  const bool reverse = ArgBool(args, 0, "reverse", false);
  const bool case_sensitive = ArgBool(args, 1, "case_sensitive", false);
  const std::string* attribute = ArgString(args, 2, "attribute");
  LOCAI_ASSIGN_OR_RETURN(TemplateArray items, IterateValue(budget, input));
  std::vector<std::pair<TemplateValue, TemplateValue>> keyed;
  for (TemplateValue& item : items) {
    TemplateValue key = attribute ? GetAttributePath(item, *attribute) : item;
    keyed.emplace_back(SortKey(key, case_sensitive), std::move(item));
  }
  Status error;
  LOCAI_RETURN_IF_ERROR(budget.Charge(keyed.size() * 8));
  std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
    auto c = CompareValues(budget, a.first, b.first);
    if (!c) {
      if (error.ok()) error = c.error();
      return false;
    }
    return reverse ? *c > 0 : *c < 0;
  });
  if (!error.ok()) return Err(error);
  TemplateArray out;
  for (auto& entry : keyed) out.push_back(std::move(entry.second));
  return TemplateValue(std::move(out));
}

Result<TemplateValue> UniqueFilter(EvalBudget& budget, const TemplateValue& input,
                                   const CallArgs& args) {
  const bool case_sensitive = ArgBool(args, 0, "case_sensitive", false);
  const std::string* attribute = ArgString(args, 1, "attribute");
  LOCAI_ASSIGN_OR_RETURN(TemplateArray items, IterateValue(budget, input));
  TemplateArray out;
  TemplateArray seen;
  for (TemplateValue& item : items) {
    TemplateValue key =
        SortKey(attribute ? GetAttributePath(item, *attribute) : item, case_sensitive);
    bool duplicate = false;
    LOCAI_RETURN_IF_ERROR(budget.Charge(seen.size() + 1));
    for (const TemplateValue& s : seen) {
      LOCAI_ASSIGN_OR_RETURN(bool eq, Equal(budget, s, key));
      if (eq) {
        duplicate = true;
        break;
      }
    }
    if (!duplicate) {
      seen.push_back(std::move(key));
      out.push_back(std::move(item));
    }
  }
  return TemplateValue(std::move(out));
}

// select / reject / selectattr / rejectattr.
Result<TemplateValue> SelectFilter(EvalBudget& budget, const TemplateValue& input,
                                   const CallArgs& args, bool by_attribute, bool keep_matches) {
  LOCAI_ASSIGN_OR_RETURN(TemplateArray items, IterateValue(budget, input));
  size_t next = 0;
  std::string attribute;
  if (by_attribute) {
    if (args.positional.empty() || !args.positional[0].is_string()) {
      return Err(Status::InvalidArgument("selectattr/rejectattr need an attribute name"));
    }
    attribute = args.positional[0].AsString();
    next = 1;
  }
  std::string test;
  if (next < args.positional.size()) {
    if (!args.positional[next].is_string())
      return Err(Status::InvalidArgument("test name must be a string"));
    test = args.positional[next].AsString();
    ++next;
  }
  CallArgs test_args;
  test_args.positional.assign(args.positional.begin() + static_cast<std::ptrdiff_t>(next),
                              args.positional.end());
  TemplateArray out;
  for (TemplateValue& item : items) {
    TemplateValue subject = by_attribute ? GetAttributePath(item, attribute) : item;
    bool match = subject.Truthy();
    if (!test.empty()) {
      LOCAI_ASSIGN_OR_RETURN(match, ApplyTest(budget, test, subject, test_args));
    }
    if (match == keep_matches) out.push_back(std::move(item));
  }
  return TemplateValue(std::move(out));
}

Result<TemplateValue> MapFilter(EvalBudget& budget, const TemplateValue& input,
                                const CallArgs& args) {
  LOCAI_ASSIGN_OR_RETURN(TemplateArray items, IterateValue(budget, input));
  TemplateArray out;
  if (const std::string* attribute = ArgString(args, SIZE_MAX, "attribute")) {
    const TemplateValue* fallback = args.Get(SIZE_MAX, "default");
    for (const TemplateValue& item : items) {
      TemplateValue v = GetAttributePath(item, *attribute);
      if (v.is_undefined() && fallback != nullptr) v = *fallback;
      out.push_back(std::move(v));
    }
    return TemplateValue(std::move(out));
  }
  if (args.positional.empty() || !args.positional[0].is_string()) {
    return Err(Status::InvalidArgument("map needs a filter name or attribute="));
  }
  CallArgs filter_args;
  filter_args.positional.assign(args.positional.begin() + 1, args.positional.end());
  filter_args.named = args.named;
  for (const TemplateValue& item : items) {
    LOCAI_ASSIGN_OR_RETURN(TemplateValue v,
                           ApplyFilter(budget, args.positional[0].AsString(), item, filter_args));
    out.push_back(std::move(v));
  }
  return TemplateValue(std::move(out));
}

Result<TemplateValue> JoinFilter(EvalBudget& budget, const TemplateValue& input,
                                 const CallArgs& args) {
  const std::string* sep = ArgString(args, 0, "d");
  const std::string* attribute = ArgString(args, 1, "attribute");
  LOCAI_ASSIGN_OR_RETURN(TemplateArray items, IterateValue(budget, input));
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0 && sep != nullptr) out += *sep;
    LOCAI_ASSIGN_OR_RETURN(
        std::string part,
        Stringify(budget, attribute ? GetAttributePath(items[i], *attribute) : items[i]));
    out += part;
    LOCAI_RETURN_IF_ERROR(budget.ChargeString(out.size()));
  }
  return TemplateValue(std::move(out));
}

Result<TemplateValue> IndentFilter(EvalBudget& budget, const TemplateValue& input,
                                   const CallArgs& args) {
  LOCAI_ASSIGN_OR_RETURN(std::string text, Stringify(budget, input));
  std::string pad = "    ";
  if (const TemplateValue* width = args.Get(0, "width")) {
    if (width->is_string()) {
      pad = width->AsString();
    } else if (width->is_int()) {
      if (width->AsInt() < 0 || width->AsInt() > 1024)
        return Err(Status::InvalidArgument("bad indent width"));
      pad = std::string(static_cast<size_t>(width->AsInt()), ' ');
    }
  }
  const bool first = ArgBool(args, 1, "first", false);
  const bool blank = ArgBool(args, 2, "blank", false);
  std::string out;
  size_t start = 0;
  bool is_first = true;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    const bool last = nl == std::string::npos;
    if (last) nl = text.size();
    const std::string_view line(text.data() + start, nl - start);
    if ((!is_first || first) && (blank || !line.empty())) out += pad;
    out += line;
    if (last) break;
    out += '\n';
    LOCAI_RETURN_IF_ERROR(budget.ChargeString(out.size()));
    start = nl + 1;
    is_first = false;
  }
  LOCAI_RETURN_IF_ERROR(budget.ChargeString(out.size()));
  return TemplateValue(std::move(out));
}

Result<TemplateValue> NumberFilter(std::string_view name, const TemplateValue& input,
                                   const CallArgs& args) {
  if (name == "int") {
    const TemplateValue* fallback = args.Get(0, "default");
    TemplateValue dflt = fallback ? *fallback : TemplateValue(0);
    if (input.is_int() || input.is_bool()) return TemplateValue(input.AsInt());
    if (input.is_double()) {
      const double d = input.AsDouble();
      if (!std::isfinite(d) || std::fabs(d) >= 9.2e18) return dflt;
      return TemplateValue(static_cast<int64_t>(d));
    }
    if (input.is_string()) {
      const std::string s = Strip(input.AsString(), nullptr, true, true);
      char* end = nullptr;
      errno = 0;
      const long long v = std::strtoll(s.c_str(), &end, 10);
      if (!s.empty() && end == s.c_str() + s.size() && errno == 0) return TemplateValue(int64_t{v});
      const double d = std::strtod(s.c_str(), &end);
      if (!s.empty() && end == s.c_str() + s.size() && std::isfinite(d) && std::fabs(d) < 9.2e18) {
        return TemplateValue(static_cast<int64_t>(d));
      }
    }
    return dflt;
  }
  if (name == "float") {
    const TemplateValue* fallback = args.Get(0, "default");
    TemplateValue dflt = fallback ? *fallback : TemplateValue(0.0);
    if (input.is_number() || input.is_bool()) return TemplateValue(input.AsDouble());
    if (input.is_string()) {
      const std::string s = Strip(input.AsString(), nullptr, true, true);
      char* end = nullptr;
      const double d = std::strtod(s.c_str(), &end);
      if (!s.empty() && end == s.c_str() + s.size()) return TemplateValue(d);
    }
    return dflt;
  }
  if (!input.is_number() && !input.is_bool()) return Err(BadInput(name, input));
  if (name == "abs") {
    if (input.is_double()) return TemplateValue(std::fabs(input.AsDouble()));
    if (input.AsInt() == INT64_MIN) return Err(Status::InvalidArgument("integer overflow"));
    return TemplateValue(static_cast<int64_t>(std::llabs(input.AsInt())));
  }
  // round(precision=0, method='common'|'ceil'|'floor'): always a float, as in Jinja.
  int64_t precision = 0;
  if (const TemplateValue* p = args.Get(0, "precision"); p && p->is_int()) precision = p->AsInt();
  precision = std::clamp<int64_t>(precision, -300, 300);
  const std::string* method = ArgString(args, 1, "method");
  const double scale = std::pow(10.0, static_cast<double>(precision));
  const double x = input.AsDouble() * scale;
  double r = 0;
  if (method == nullptr || *method == "common") {
    r = std::round(x);
  } else if (*method == "ceil") {
    r = std::ceil(x);
  } else if (*method == "floor") {
    r = std::floor(x);
  } else {
    return Err(Status::InvalidArgument("round method must be common, ceil or floor"));
  }
  return TemplateValue(r / scale);
}

Result<TemplateValue> StringFilter(EvalBudget& budget, std::string_view name,
                                   const TemplateValue& input, const CallArgs& args) {
  LOCAI_ASSIGN_OR_RETURN(std::string s, Stringify(budget, input));
  if (name == "trim") return TemplateValue(Strip(s, ArgString(args, 0, "chars"), true, true));
  if (name == "upper") return TemplateValue(AsciiUpper(s));
  if (name == "lower") return TemplateValue(AsciiLower(s));
  if (name == "title") return TemplateValue(TitleCase(s));
  if (name == "capitalize") return TemplateValue(Capitalize(s));
  if (name == "escape" || name == "e" || name == "forceescape") {
    std::string out = HtmlEscape(s);
    LOCAI_RETURN_IF_ERROR(budget.ChargeString(out.size()));
    return TemplateValue(std::move(out));
  }
  if (name == "replace") {
    const std::string* from = ArgString(args, 0, "old");
    const std::string* to = ArgString(args, 1, "new");
    if (from == nullptr || to == nullptr)
      return Err(Status::InvalidArgument("replace needs two strings"));
    const TemplateValue* count = args.Get(2, "count");
    const long long limit = (count && count->is_int()) ? count->AsInt() : -1;
    size_t hits = from->empty() ? s.size() + 1 : 0;
    for (size_t p = from->empty() ? std::string::npos : s.find(*from); p != std::string::npos;
         p = s.find(*from, p + from->size())) {
      ++hits;
    }
    if (to->size() > 0 && hits > budget.limits().max_output_bytes / to->size()) {
      return Err(Status::ResourceExhausted("replace result larger than the output limit"));
    }
    LOCAI_RETURN_IF_ERROR(budget.ChargeString(s.size() + hits * to->size()));
    return TemplateValue(Replace(s, *from, *to, limit));
  }
  if (name == "wordcount") return TemplateValue(static_cast<int64_t>(Split(s, nullptr, -1).size()));
  return Err(Status::Unimplemented("unknown filter '" + std::string(name) + "'"));
}

}  // namespace

Result<TemplateValue> ApplyFilter(EvalBudget& budget, std::string_view name,
                                  const TemplateValue& input, const CallArgs& args) {
  LOCAI_RETURN_IF_ERROR(budget.Charge(1));
  if (name == "default" || name == "d") {
    const TemplateValue* fallback = args.Get(0, "default_value");
    const bool boolean = ArgBool(args, 1, "boolean", false);
    if (input.is_undefined() || (boolean && !input.Truthy())) {
      return fallback ? *fallback : TemplateValue("");
    }
    return input;
  }
  if (name == "safe") return input;
  if (name == "length" || name == "count") {
    LOCAI_ASSIGN_OR_RETURN(size_t n, Length(input));
    return TemplateValue(static_cast<int64_t>(n));
  }
  if (name == "string") {
    LOCAI_ASSIGN_OR_RETURN(std::string s, Stringify(budget, input));
    return TemplateValue(std::move(s));
  }
  if (name == "tojson") {
    int indent = -1;
    if (const TemplateValue* v = args.Get(0, "indent"); v && v->is_int()) {
      indent = static_cast<int>(std::clamp<int64_t>(v->AsInt(), 0, 64));
    }
    LOCAI_ASSIGN_OR_RETURN(std::string json, ToJson(input, indent, budget.max_value_depth(),
                                                    budget.limits().max_output_bytes));
    LOCAI_RETURN_IF_ERROR(budget.ChargeString(json.size()));
    return TemplateValue(std::move(json));
  }
  if (name == "int" || name == "float" || name == "abs" || name == "round") {
    return NumberFilter(name, input, args);
  }
  if (name == "first" || name == "last") {
    if (input.is_array()) {
      const TemplateArray& a = input.AsArray();
      if (a.empty()) return TemplateValue::Undefined();
      return name == "first" ? a.front() : a.back();
    }
    LOCAI_ASSIGN_OR_RETURN(TemplateArray items, IterateValue(budget, input));
    if (items.empty()) return TemplateValue::Undefined();
    return name == "first" ? items.front() : items.back();
  }
  if (name == "list") {
    LOCAI_ASSIGN_OR_RETURN(TemplateArray items, IterateValue(budget, input));
    return TemplateValue(std::move(items));
  }
  if (name == "reverse") {
    if (input.is_string()) {
      const std::string& s = input.AsString();
      const std::vector<size_t> offsets = Utf8Offsets(s);
      std::string out;
      for (size_t i = offsets.size() - 1; i > 0; --i)
        out.append(s, offsets[i - 1], offsets[i] - offsets[i - 1]);
      return TemplateValue(std::move(out));
    }
    LOCAI_ASSIGN_OR_RETURN(TemplateArray items, IterateValue(budget, input));
    std::reverse(items.begin(), items.end());
    return TemplateValue(std::move(items));
  }
  if (name == "items" || name == "dictsort") {
    if (input.is_undefined()) return TemplateValue::Array();
    if (!input.is_object()) return Err(BadInput(name, input));
    TemplateArray pairs;
    for (const auto& [key, value] : input.AsObject().entries()) {
      LOCAI_RETURN_IF_ERROR(CheckValue(budget, value, 2, true));
      pairs.push_back(TemplateValue(TemplateArray{TemplateValue(key), value}));
    }
    LOCAI_RETURN_IF_ERROR(budget.Charge(pairs.size()));
    if (name == "dictsort") {
      const bool case_sensitive = ArgBool(args, 0, "case_sensitive", false);
      const bool reverse = ArgBool(args, 2, "reverse", false);
      std::stable_sort(pairs.begin(), pairs.end(), [&](const auto& a, const auto& b) {
        const std::string x =
            case_sensitive ? a.AsArray()[0].AsString() : AsciiLower(a.AsArray()[0].AsString());
        const std::string y =
            case_sensitive ? b.AsArray()[0].AsString() : AsciiLower(b.AsArray()[0].AsString());
        return reverse ? x > y : x < y;
      });
    }
    return TemplateValue(std::move(pairs));
  }
  if (name == "sort") return SortFilter(budget, input, args);
  if (name == "unique") return UniqueFilter(budget, input, args);
  if (name == "select") return SelectFilter(budget, input, args, false, true);
  if (name == "reject") return SelectFilter(budget, input, args, false, false);
  if (name == "selectattr") return SelectFilter(budget, input, args, true, true);
  if (name == "rejectattr") return SelectFilter(budget, input, args, true, false);
  if (name == "map") return MapFilter(budget, input, args);
  if (name == "join") return JoinFilter(budget, input, args);
  if (name == "indent") return IndentFilter(budget, input, args);
  if (name == "batch") {
    const TemplateValue* size = args.Get(0, "linecount");
    if (size == nullptr || !size->is_int() || size->AsInt() <= 0) {
      return Err(Status::InvalidArgument("batch needs a positive size"));
    }
    const TemplateValue* fill = args.Get(1, "fill_with");
    LOCAI_ASSIGN_OR_RETURN(TemplateArray items, IterateValue(budget, input));
    for (const TemplateValue& item : items)
      LOCAI_RETURN_IF_ERROR(CheckValue(budget, item, 2, true));
    const size_t n = static_cast<size_t>(size->AsInt());
    if (fill != nullptr && n > budget.limits().max_output_bytes / 16) {
      return Err(Status::ResourceExhausted("batch size larger than the output limit"));
    }
    TemplateArray batches;
    for (size_t i = 0; i < items.size(); i += n) {
      TemplateArray batch(
          items.begin() + static_cast<std::ptrdiff_t>(i),
          items.begin() + static_cast<std::ptrdiff_t>(std::min(i + n, items.size())));
      if (fill != nullptr) {
        while (batch.size() < n) batch.push_back(*fill);
      }
      batches.push_back(TemplateValue(std::move(batch)));
    }
    return TemplateValue(std::move(batches));
  }
  if (name == "min" || name == "max" || name == "sum") {
    const std::string* attribute = ArgString(args, name == "sum" ? 0 : 1, "attribute");
    LOCAI_ASSIGN_OR_RETURN(TemplateArray items, IterateValue(budget, input));
    if (name == "sum") {
      TemplateValue total = args.Get(1, "start") ? *args.Get(1, "start") : TemplateValue(0);
      for (const TemplateValue& item : items) {
        LOCAI_ASSIGN_OR_RETURN(
            total, ApplyBinaryOperator(budget, "+", total,
                                       attribute ? GetAttributePath(item, *attribute) : item));
      }
      return total;
    }
    TemplateValue best;
    for (const TemplateValue& item : items) {
      TemplateValue v = attribute ? GetAttributePath(item, *attribute) : item;
      if (best.is_undefined()) {
        best = v;
        continue;
      }
      LOCAI_ASSIGN_OR_RETURN(int c, CompareValues(budget, SortKey(v, false), SortKey(best, false)));
      if ((name == "min" && c < 0) || (name == "max" && c > 0)) best = v;
    }
    return best;
  }
  return StringFilter(budget, name, input, args);
}

}  // namespace locai::engine::jinja
