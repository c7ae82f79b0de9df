// Methods of strings, dicts and loop objects, and the global functions.
#include <algorithm>
#include <cstdio>
#include <ctime>

#include "engine/chat_template/builtins.h"
#include "engine/chat_template/text_util.h"

namespace locai::engine::jinja {
namespace {

const std::string* StringArg(const CallArgs& args, size_t index, std::string_view name) {
  const TemplateValue* v = args.Get(index, name);
  return (v != nullptr && v->is_string()) ? &v->AsString() : nullptr;
}

Status NoMethod(const TemplateValue& object, std::string_view name) {
  return Status::InvalidArgument("'" + std::string(object.TypeName()) + "' object has no method '" +
                                 std::string(name) + "'");
}

// str.format with {} / {0} / {name} fields and {{ }} escapes; no format specs.
Result<std::string> PythonFormat(EvalBudget& budget, const std::string& format,
                                 const CallArgs& args) {
  std::string out;
  size_t auto_index = 0;
  for (size_t i = 0; i < format.size(); ++i) {
    const char c = format[i];
    if (c == '{' && i + 1 < format.size() && format[i + 1] == '{') {
      out.push_back('{');
      ++i;
    } else if (c == '}' && i + 1 < format.size() && format[i + 1] == '}') {
      out.push_back('}');
      ++i;
    } else if (c == '{') {
      const size_t close = format.find('}', i);
      if (close == std::string::npos)
        return Err(Status::InvalidArgument("unmatched '{' in format string"));
      const std::string field = format.substr(i + 1, close - i - 1);
      const TemplateValue* value = nullptr;
      if (field.empty()) {
        value = auto_index < args.positional.size() ? &args.positional[auto_index++] : nullptr;
      } else if (field.find_first_not_of("0123456789") == std::string::npos && field.size() < 6) {
        const size_t index = static_cast<size_t>(std::stoul(field));
        value = index < args.positional.size() ? &args.positional[index] : nullptr;
      } else {
        value = args.Get(SIZE_MAX, field);
      }
      if (value == nullptr)
        return Err(Status::InvalidArgument("format field '{" + field + "}' has no value"));
      LOCAI_ASSIGN_OR_RETURN(std::string text, Stringify(budget, *value));
      out += text;
      LOCAI_RETURN_IF_ERROR(budget.ChargeString(out.size()));
      i = close;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Result<TemplateValue> StringMethod(EvalBudget& budget, const std::string& s, std::string_view name,
                                   const CallArgs& args) {
  if (name == "strip" || name == "lstrip" || name == "rstrip") {
    return TemplateValue(Strip(s, StringArg(args, 0, "chars"), name != "rstrip", name != "lstrip"));
  }
  if (name == "upper") return TemplateValue(AsciiUpper(s));
  if (name == "lower") return TemplateValue(AsciiLower(s));
  if (name == "title") return TemplateValue(TitleCase(s));
  if (name == "capitalize") return TemplateValue(Capitalize(s));
  if (name == "startswith" || name == "endswith") {
    const TemplateValue* arg = args.Get(0, "prefix");
    if (arg == nullptr)
      return Err(Status::InvalidArgument(std::string(name) + " needs an argument"));
    TemplateArray candidates = arg->is_array() ? arg->AsArray() : TemplateArray{*arg};
    for (const TemplateValue& c : candidates) {
      if (!c.is_string()) return Err(Status::InvalidArgument(std::string(name) + " needs strings"));
      const std::string& x = c.AsString();
      if (x.size() > s.size()) continue;
      if (name == "startswith" ? s.compare(0, x.size(), x) == 0
                               : s.compare(s.size() - x.size(), x.size(), x) == 0) {
        return TemplateValue(true);
      }
    }
    return TemplateValue(false);
  }
  if (name == "split") {
    const TemplateValue* sep_value = args.Get(0, "sep");
    const std::string* sep =
        (sep_value && sep_value->is_string()) ? &sep_value->AsString() : nullptr;
    if (sep != nullptr && sep->empty()) return Err(Status::InvalidArgument("empty separator"));
    const TemplateValue* maxsplit = args.Get(1, "maxsplit");
    std::vector<std::string> parts =
        Split(s, sep, (maxsplit && maxsplit->is_int()) ? maxsplit->AsInt() : -1);
    LOCAI_RETURN_IF_ERROR(budget.Charge(parts.size() + s.size() / 64));
    TemplateArray out;
    for (std::string& p : parts) out.emplace_back(std::move(p));
    return TemplateValue(std::move(out));
  }
  if (name == "replace") {
    return ApplyFilter(budget, "replace", TemplateValue(s), args);
  }
  if (name == "find" || name == "count") {
    const std::string* sub = StringArg(args, 0, "sub");
    if (sub == nullptr) return Err(Status::InvalidArgument(std::string(name) + " needs a string"));
    if (name == "find") {
      const size_t p = s.find(*sub);
      return TemplateValue(p == std::string::npos ? int64_t{-1} : static_cast<int64_t>(p));
    }
    if (sub->empty()) return TemplateValue(static_cast<int64_t>(Utf8Offsets(s).size()));
    int64_t n = 0;
    for (size_t p = s.find(*sub); p != std::string::npos; p = s.find(*sub, p + sub->size())) ++n;
    return TemplateValue(n);
  }
  if (name == "join") {
    const TemplateValue* items = args.Get(0, "iterable");
    if (items == nullptr) return Err(Status::InvalidArgument("join needs an iterable"));
    CallArgs join_args;
    join_args.positional.emplace_back(s);
    return ApplyFilter(budget, "join", *items, join_args);
  }
  if (name == "format") {
    LOCAI_ASSIGN_OR_RETURN(std::string out, PythonFormat(budget, s, args));
    return TemplateValue(std::move(out));
  }
  if (name == "isdigit" || name == "isspace" || name == "isalpha" || name == "isalnum") {
    if (s.empty()) return TemplateValue(false);
    for (char c : s) {
      const bool digit = c >= '0' && c <= '9';
      const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
      const bool ok = name == "isdigit"   ? digit
                      : name == "isspace" ? IsPythonSpace(c)
                      : name == "isalpha" ? alpha
                                          : (alpha || digit);
      if (!ok) return TemplateValue(false);
    }
    return TemplateValue(true);
  }
  return Err(NoMethod(TemplateValue(""), name));
}

// strftime for the directives chat templates use, in UTC, C locale.
std::string FormatTime(const std::string& format, int64_t unix_seconds) {
  static constexpr const char* kMonths[] = {"January",   "February", "March",    "April",
                                            "May",       "June",     "July",     "August",
                                            "September", "October",  "November", "December"};
  static constexpr const char* kDays[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                          "Thursday", "Friday", "Saturday"};
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::string out;
  char buf[32];
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%' || i + 1 >= format.size()) {
      out.push_back(format[i]);
      continue;
    }
    char d = format[++i];
    bool no_pad = false;
    if (d == '-' && i + 1 < format.size()) {
      no_pad = true;
      d = format[++i];
    }
    auto num = [&](int value, int width) {
      std::snprintf(buf, sizeof(buf), no_pad ? "%d" : "%0*d", no_pad ? value : width, value);
      if (!no_pad) std::snprintf(buf, sizeof(buf), "%0*d", width, value);
      out += buf;
    };
    switch (d) {
      case 'Y':
        num(tm.tm_year + 1900, 4);
        break;
      case 'y':
        num(tm.tm_year % 100, 2);
        break;
      case 'm':
        num(tm.tm_mon + 1, 2);
        break;
      case 'd':
        num(tm.tm_mday, 2);
        break;
      case 'H':
        num(tm.tm_hour, 2);
        break;
      case 'I':
        num(tm.tm_hour % 12 == 0 ? 12 : tm.tm_hour % 12, 2);
        break;
      case 'M':
        num(tm.tm_min, 2);
        break;
      case 'S':
        num(tm.tm_sec, 2);
        break;
      case 'j':
        num(tm.tm_yday + 1, 3);
        break;
      case 'p':
        out += tm.tm_hour < 12 ? "AM" : "PM";
        break;
      case 'B':
        out += kMonths[tm.tm_mon];
        break;
      case 'b':
        out += std::string(kMonths[tm.tm_mon]).substr(0, 3);
        break;
      case 'A':
        out += kDays[tm.tm_wday];
        break;
      case 'a':
        out += std::string(kDays[tm.tm_wday]).substr(0, 3);
        break;
      case '%':
        out.push_back('%');
        break;
      default:
        out.push_back('%');
        out.push_back(d);
    }
  }
  return out;
}

Result<TemplateValue> Range(EvalBudget& budget, const CallArgs& args) {
  int64_t bounds[3] = {0, 0, 1};
  const size_t n = args.positional.size();
  if (n < 1 || n > 3) return Err(Status::InvalidArgument("range expects 1 to 3 arguments"));
  for (size_t i = 0; i < n; ++i) {
    const TemplateValue& v = args.positional[i];
    if (!v.is_int() && !v.is_bool())
      return Err(Status::InvalidArgument("range arguments must be integers"));
  }
  if (n == 1) {
    bounds[1] = args.positional[0].AsInt();
  } else {
    bounds[0] = args.positional[0].AsInt();
    bounds[1] = args.positional[1].AsInt();
    if (n == 3) bounds[2] = args.positional[2].AsInt();
  }
  const int64_t start = bounds[0], stop = bounds[1], step = bounds[2];
  if (step == 0) return Err(Status::InvalidArgument("range step must not be zero"));
  // The length in unsigned arithmetic, which cannot overflow for any int64 bounds.
  uint64_t length = 0;
  if (step > 0 && start < stop) {
    length = (static_cast<uint64_t>(stop) - static_cast<uint64_t>(start) - 1) /
                 static_cast<uint64_t>(step) +
             1;
  } else if (step < 0 && start > stop) {
    const uint64_t abs_step = static_cast<uint64_t>(-(step + 1)) + 1;
    length = (static_cast<uint64_t>(start) - static_cast<uint64_t>(stop) - 1) / abs_step + 1;
  }
  if (length > static_cast<uint64_t>(std::max<int64_t>(budget.limits().max_range_length, 0))) {
    return Err(Status::ResourceExhausted("range of " + std::to_string(length) +
                                         " items exceeds the limit of " +
                                         std::to_string(budget.limits().max_range_length)));
  }
  LOCAI_RETURN_IF_ERROR(budget.Charge(length));
  TemplateArray out;
  out.reserve(static_cast<size_t>(length));
  int64_t value = start;
  for (uint64_t i = 0; i < length; ++i) {
    out.emplace_back(value);
    if (i + 1 < length) value += step;  // stays inside [start, stop): no overflow
  }
  return TemplateValue(std::move(out));
}

}  // namespace

Result<TemplateValue> CallMethod(EvalBudget& budget, const TemplateValue& object,
                                 std::string_view name, const CallArgs& args) {
  LOCAI_RETURN_IF_ERROR(budget.Charge(1));
  if (object.is_string()) return StringMethod(budget, object.AsString(), name, args);
  if (object.is_object()) {
    const TemplateObject& obj = object.AsObject();
    if (name == "get") {
      const TemplateValue* key = args.Get(0, "key");
      if (key == nullptr) return Err(Status::InvalidArgument("get needs a key"));
      const TemplateValue* found = key->is_string() ? obj.Find(key->AsString()) : nullptr;
      if (found != nullptr) return *found;
      const TemplateValue* fallback = args.Get(1, "default");
      return fallback ? *fallback : TemplateValue::Null();
    }
    if (name == "items" || name == "keys" || name == "values") {
      LOCAI_RETURN_IF_ERROR(budget.Charge(obj.size()));
      TemplateArray out;
      for (const auto& [key, value] : obj.entries()) {
        if (name == "items") {
          LOCAI_RETURN_IF_ERROR(CheckValue(budget, value, 2, true));
          out.push_back(TemplateValue(TemplateArray{TemplateValue(key), value}));
        } else {
          out.push_back(name == "keys" ? TemplateValue(key) : value);
        }
      }
      return TemplateValue(std::move(out));
    }
    const TemplateValue* index0 = obj.Find("index0");
    if (name == "cycle" && index0 != nullptr && index0->is_int() && index0->AsInt() >= 0 &&
        !args.positional.empty()) {
      const int64_t i = index0->AsInt();
      return args.positional[static_cast<size_t>(i) % args.positional.size()];
    }
  }
  if (object.is_array() && (name == "append" || name == "extend" || name == "pop" ||
                            name == "insert" || name == "remove" || name == "clear")) {
    return Err(Status::InvalidArgument("lists are immutable in templates: cannot call '" +
                                       std::string(name) + "'"));
  }
  return Err(NoMethod(object, name));
}

bool IsGlobalFunction(const EvalBudget& budget, std::string_view name) {
  if (name == "strftime_now") return budget.options().now_unix_seconds.has_value();
  return name == "range" || name == "namespace" || name == "raise_exception" || name == "dict";
}

Result<TemplateValue> CallGlobal(EvalBudget& budget, std::string_view name, const CallArgs& args) {
  LOCAI_RETURN_IF_ERROR(budget.Charge(1));
  if (name == "range") return Range(budget, args);
  if (name == "namespace" || name == "dict") {
    TemplateValue ns = TemplateValue::Object();
    ns.MutableObject().is_namespace = name == "namespace";
    for (const TemplateValue& positional : args.positional) {
      if (!positional.is_object())
        return Err(
            Status::InvalidArgument(std::string(name) + "() takes a dict or keyword arguments"));
      for (const auto& [key, value] : positional.AsObject().entries()) ns.Set(key, value);
    }
    for (const auto& [key, value] : args.named) ns.Set(key, value);
    for (const auto& entry : ns.AsObject().entries()) {
      LOCAI_RETURN_IF_ERROR(CheckValue(budget, entry.second, 1, name != "namespace"));
    }
    return ns;
  }
  if (name == "raise_exception") {
    std::string message = "raise_exception() called";
    if (const TemplateValue* m = args.Get(0, "message")) {
      LOCAI_ASSIGN_OR_RETURN(message, Stringify(budget, *m));
    }
    return Err(Status::InvalidArgument("template raised an error: " + message));
  }
  if (name == "strftime_now" && budget.options().now_unix_seconds.has_value()) {
    const TemplateValue* format = args.Get(0, "format");
    if (format == nullptr || !format->is_string())
      return Err(Status::InvalidArgument("strftime_now needs a format string"));
    if (format->AsString().size() > 256)
      return Err(Status::InvalidArgument("strftime_now format too long"));
    return TemplateValue(FormatTime(format->AsString(), *budget.options().now_unix_seconds));
  }
  return Err(Status::InvalidArgument("'" + std::string(name) + "' is not a function"));
}

}  // namespace locai::engine::jinja
