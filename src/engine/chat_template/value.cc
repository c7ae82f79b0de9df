#include "engine/chat_template/value.h"

#include <cassert>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace locai::engine {
namespace {

const std::string kEmptyString;
const TemplateArray kEmptyArray;
const TemplateObject kEmptyObject;
const TemplateCallable kEmptyCallable;

Status TooDeep() { return Status::ResourceExhausted("value nested too deeply"); }
Status TooLarge() { return Status::ResourceExhausted("value text larger than the output limit"); }

void AppendPythonStringRepr(const std::string& s, std::string* out) {
  // Python picks single quotes unless the text has a ' and no ".
  const bool has_single = s.find('\'') != std::string::npos;
  const bool has_double = s.find('"') != std::string::npos;
  const char quote = (has_single && !has_double) ? '"' : '\'';
  out->push_back(quote);
  for (unsigned char c : s) {
    if (c == '\\') {
      out->append("\\\\");
    } else if (c == static_cast<unsigned char>(quote)) {
      out->push_back('\\');
      out->push_back(static_cast<char>(c));
    } else if (c == '\n') {
      out->append("\\n");
    } else if (c == '\r') {
      out->append("\\r");
    } else if (c == '\t') {
      out->append("\\t");
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out->append(buf);
    } else {
      out->push_back(static_cast<char>(c));
    }
  }
  out->push_back(quote);
}

void AppendJsonString(const std::string& s, std::string* out) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out->append(buf);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

// Shared by str() and repr(): containers always show their items with repr().
Status AppendPython(const TemplateValue& v, bool repr, int depth, size_t max_bytes,
                    std::string* out) {
  if (depth <= 0) return TooDeep();
  if (out->size() > max_bytes) return TooLarge();
  switch (v.kind()) {
    case TemplateValue::Kind::kUndefined:
      break;
    case TemplateValue::Kind::kNull:
      out->append("None");
      break;
    case TemplateValue::Kind::kBool:
      out->append(v.AsBool() ? "True" : "False");
      break;
    case TemplateValue::Kind::kInt:
      out->append(std::to_string(v.AsInt()));
      break;
    case TemplateValue::Kind::kDouble:
      out->append(FormatDouble(v.AsDouble()));
      break;
    case TemplateValue::Kind::kString:
      if (repr) {
        AppendPythonStringRepr(v.AsString(), out);
      } else {
        out->append(v.AsString());
      }
      break;
    case TemplateValue::Kind::kArray: {
      out->push_back('[');
      bool first = true;
      for (const TemplateValue& item : v.AsArray()) {
        if (!first) out->append(", ");
        first = false;
        Status s = AppendPython(item, true, depth - 1, max_bytes, out);
        if (!s.ok()) return s;
      }
      out->push_back(']');
      break;
    }
    case TemplateValue::Kind::kObject: {
      const TemplateObject& obj = v.AsObject();
      out->append(obj.is_namespace ? "<Namespace {" : "{");
      bool first = true;
      for (const auto& [key, item] : obj.entries()) {
        if (!first) out->append(", ");
        first = false;
        AppendPythonStringRepr(key, out);
        out->append(": ");
        Status s = AppendPython(item, true, depth - 1, max_bytes, out);
        if (!s.ok()) return s;
      }
      out->append(obj.is_namespace ? "}>" : "}");
      break;
    }
    case TemplateValue::Kind::kCallable:
      out->append("<function ").append(v.AsCallable().name).append(">");
      break;
  }
  return Status::Ok();
}

void AppendNewlineIndent(int indent, int level, std::string* out) {
  out->push_back('\n');
  out->append(static_cast<size_t>(indent) * static_cast<size_t>(level), ' ');
}

Status AppendJson(const TemplateValue& v, int indent, int level, int depth, size_t max_bytes,
                  std::string* out) {
  if (depth <= 0) return TooDeep();
  if (out->size() > max_bytes) return TooLarge();
  switch (v.kind()) {
    case TemplateValue::Kind::kUndefined:
    case TemplateValue::Kind::kNull:
    case TemplateValue::Kind::kCallable:
      out->append("null");
      break;
    case TemplateValue::Kind::kBool:
      out->append(v.AsBool() ? "true" : "false");
      break;
    case TemplateValue::Kind::kInt:
      out->append(std::to_string(v.AsInt()));
      break;
    case TemplateValue::Kind::kDouble: {
      const double d = v.AsDouble();
      if (std::isnan(d)) {
        out->append("NaN");
      } else if (std::isinf(d)) {
        out->append(d > 0 ? "Infinity" : "-Infinity");
      } else {
        out->append(FormatDouble(d));
      }
      break;
    }
    case TemplateValue::Kind::kString:
      AppendJsonString(v.AsString(), out);
      break;
    case TemplateValue::Kind::kArray: {
      const TemplateArray& items = v.AsArray();
      if (items.empty()) {
        out->append("[]");
        break;
      }
      out->push_back('[');
      for (size_t i = 0; i < items.size(); ++i) {
        if (i > 0) out->append(indent >= 0 ? "," : ", ");
        if (indent >= 0) AppendNewlineIndent(indent, level + 1, out);
        Status s = AppendJson(items[i], indent, level + 1, depth - 1, max_bytes, out);
        if (!s.ok()) return s;
      }
      if (indent >= 0) AppendNewlineIndent(indent, level, out);
      out->push_back(']');
      break;
    }
    case TemplateValue::Kind::kObject: {
      const auto& entries = v.AsObject().entries();
      if (entries.empty()) {
        out->append("{}");
        break;
      }
      out->push_back('{');
      for (size_t i = 0; i < entries.size(); ++i) {
        if (i > 0) out->append(indent >= 0 ? "," : ", ");
        if (indent >= 0) AppendNewlineIndent(indent, level + 1, out);
        AppendJsonString(entries[i].first, out);
        out->append(": ");
        Status s = AppendJson(entries[i].second, indent, level + 1, depth - 1, max_bytes, out);
        if (!s.ok()) return s;
      }
      if (indent >= 0) AppendNewlineIndent(indent, level, out);
      out->push_back('}');
      break;
    }
  }
  return Status::Ok();
}

}  // namespace

const TemplateValue* TemplateObject::Find(std::string_view key) const {
  for (const Entry& entry : entries_) {
    if (entry.first == key) return &entry.second;
  }
  return nullptr;
}

void TemplateObject::Set(std::string key, TemplateValue value) {
  for (Entry& entry : entries_) {
    if (entry.first == key) {
      entry.second = std::move(value);
      return;
    }
  }
  entries_.emplace_back(std::move(key), std::move(value));
}

void TemplateObject::AppendNew(std::string key, TemplateValue value) {
  entries_.emplace_back(std::move(key), std::move(value));
}

void TemplateObject::Reserve(size_t n) { entries_.reserve(n); }

TemplateValue TemplateValue::Null() {
  TemplateValue v;
  v.kind_ = Kind::kNull;
  return v;
}

TemplateValue TemplateValue::Object() {
  TemplateValue v;
  v.kind_ = Kind::kObject;
  v.data_ = std::make_shared<TemplateObject>();
  return v;
}

TemplateValue TemplateValue::Object(std::vector<TemplateObject::Entry> entries) {
  TemplateValue v = Object();
  TemplateObject& obj = v.MutableObject();
  for (auto& [key, value] : entries) {
    if (obj.Find(key) == nullptr) obj.Set(std::move(key), std::move(value));
  }
  return v;
}

TemplateValue TemplateValue::Callable(std::string name, const void* target) {
  TemplateValue v;
  v.kind_ = Kind::kCallable;
  v.data_ = std::make_shared<const TemplateCallable>(TemplateCallable{std::move(name), target});
  return v;
}

bool TemplateValue::AsBool() const {
  assert(kind_ == Kind::kBool);
  const bool* b = std::get_if<bool>(&data_);
  return b != nullptr && *b;
}

int64_t TemplateValue::AsInt() const {
  if (kind_ == Kind::kBool) return AsBool() ? 1 : 0;
  const int64_t* i = std::get_if<int64_t>(&data_);
  assert(i != nullptr);
  return i != nullptr ? *i : 0;
}

double TemplateValue::AsDouble() const {
  if (const double* d = std::get_if<double>(&data_)) return *d;
  return static_cast<double>(AsInt());
}

const std::string& TemplateValue::AsString() const {
  const std::string* s = std::get_if<std::string>(&data_);
  assert(s != nullptr);
  return s != nullptr ? *s : kEmptyString;
}

const TemplateArray& TemplateValue::AsArray() const {
  const auto* a = std::get_if<std::shared_ptr<TemplateArray>>(&data_);
  assert(a != nullptr);
  return a != nullptr ? **a : kEmptyArray;
}

const TemplateObject& TemplateValue::AsObject() const {
  const auto* o = std::get_if<std::shared_ptr<TemplateObject>>(&data_);
  assert(o != nullptr);
  return o != nullptr ? **o : kEmptyObject;
}

const TemplateCallable& TemplateValue::AsCallable() const {
  const auto* c = std::get_if<std::shared_ptr<const TemplateCallable>>(&data_);
  assert(c != nullptr);
  return c != nullptr ? **c : kEmptyCallable;
}

TemplateArray& TemplateValue::MutableArray() {
  if (kind_ != Kind::kArray) *this = Array();
  return *std::get<std::shared_ptr<TemplateArray>>(data_);
}

TemplateObject& TemplateValue::MutableObject() {
  if (kind_ != Kind::kObject) *this = Object();
  return *std::get<std::shared_ptr<TemplateObject>>(data_);
}

TemplateValue& TemplateValue::Set(std::string key, TemplateValue value) {
  MutableObject().Set(std::move(key), std::move(value));
  return *this;
}

TemplateValue& TemplateValue::Append(TemplateValue value) {
  MutableArray().push_back(std::move(value));
  return *this;
}

const TemplateValue* TemplateValue::Find(std::string_view key) const {
  if (kind_ != Kind::kObject) return nullptr;
  return AsObject().Find(key);
}

const void* TemplateValue::Identity() const {
  if (kind_ == Kind::kArray) return &AsArray();
  if (kind_ == Kind::kObject) return &AsObject();
  return nullptr;
}

bool TemplateValue::Truthy() const {
  switch (kind_) {
    case Kind::kUndefined:
    case Kind::kNull:
      return false;
    case Kind::kBool:
      return AsBool();
    case Kind::kInt:
      return AsInt() != 0;
    case Kind::kDouble:
      return AsDouble() != 0.0;
    case Kind::kString:
      return !AsString().empty();
    case Kind::kArray:
      return !AsArray().empty();
    case Kind::kObject:
      return AsObject().is_namespace || AsObject().size() > 0;
    case Kind::kCallable:
      return true;
  }
  return false;
}

std::string_view TemplateValue::TypeName() const {
  switch (kind_) {
    case Kind::kUndefined:
      return "undefined";
    case Kind::kNull:
      return "NoneType";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kDouble:
      return "float";
    case Kind::kString:
      return "str";
    case Kind::kArray:
      return "list";
    case Kind::kObject:
      return AsObject().is_namespace ? "Namespace" : "dict";
    case Kind::kCallable:
      return "function";
  }
  return "?";
}

Result<std::string> ToPythonString(const TemplateValue& value, int max_depth, size_t max_bytes) {
  std::string out;
  Status s = AppendPython(value, false, max_depth, max_bytes, &out);
  if (!s.ok()) return Err(s);
  if (out.size() > max_bytes) return Err(TooLarge());
  return out;
}

Result<std::string> ToPythonRepr(const TemplateValue& value, int max_depth, size_t max_bytes) {
  std::string out;
  Status s = AppendPython(value, true, max_depth, max_bytes, &out);
  if (!s.ok()) return Err(s);
  if (out.size() > max_bytes) return Err(TooLarge());
  return out;
}

Result<std::string> ToJson(const TemplateValue& value, int indent, int max_depth,
                           size_t max_bytes) {
  std::string out;
  Status s = AppendJson(value, indent, 0, max_depth, max_bytes, &out);
  if (!s.ok()) return Err(s);
  if (out.size() > max_bytes) return Err(TooLarge());
  return out;
}

Result<bool> ValuesEqual(const TemplateValue& a, const TemplateValue& b, int max_depth,
                         uint64_t* node_budget) {
  if (max_depth <= 0) return Err(TooDeep());
  if (node_budget != nullptr) {
    if (*node_budget == 0) return Err(Status::ResourceExhausted("comparison needs too many steps"));
    --*node_budget;
  }
  using Kind = TemplateValue::Kind;
  const bool a_num = a.is_number() || a.is_bool();
  const bool b_num = b.is_number() || b.is_bool();
  if (a_num && b_num) {
    if ((a.is_int() || a.is_bool()) && (b.is_int() || b.is_bool())) return a.AsInt() == b.AsInt();
    return a.AsDouble() == b.AsDouble();
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Kind::kUndefined:
    case Kind::kNull:
      return true;
    case Kind::kString:
      return a.AsString() == b.AsString();
    case Kind::kArray: {
      if (a.Identity() == b.Identity()) return true;
      const TemplateArray& x = a.AsArray();
      const TemplateArray& y = b.AsArray();
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i) {
        LOCAI_ASSIGN_OR_RETURN(bool eq, ValuesEqual(x[i], y[i], max_depth - 1, node_budget));
        if (!eq) return false;
      }
      return true;
    }
    case Kind::kObject: {
      if (a.Identity() == b.Identity()) return true;
      const TemplateObject& x = a.AsObject();
      const TemplateObject& y = b.AsObject();
      if (x.is_namespace || y.is_namespace || x.size() != y.size()) return false;
      for (const auto& [key, item] : x.entries()) {
        const TemplateValue* other = y.Find(key);
        if (other == nullptr) return false;
        LOCAI_ASSIGN_OR_RETURN(bool eq, ValuesEqual(item, *other, max_depth - 1, node_budget));
        if (!eq) return false;
      }
      return true;
    }
    case Kind::kCallable:
      return a.AsCallable().name == b.AsCallable().name;
    default:
      return false;
  }
}

std::string FormatDouble(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  // Shortest round-trip digits in scientific form, then laid out the way Python's repr does:
  // positional for exponents in [-4, 16), scientific otherwise.
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  const size_t e_pos = sci.find('e');
  std::string mantissa = sci.substr(0, e_pos);
  const int exponent = std::stoi(sci.substr(e_pos + 1));
  bool negative = false;
  if (!mantissa.empty() && mantissa[0] == '-') {
    negative = true;
    mantissa.erase(0, 1);
  }
  std::string digits;
  for (char c : mantissa) {
    if (c != '.') digits.push_back(c);
  }
  std::string out = negative ? "-" : "";
  if (exponent >= -4 && exponent < 16) {
    if (exponent < 0) {
      out += "0.";
      out.append(static_cast<size_t>(-exponent - 1), '0');
      out += digits;
    } else {
      const size_t int_len = static_cast<size_t>(exponent) + 1;
      if (digits.size() <= int_len) {
        out += digits;
        out.append(int_len - digits.size(), '0');
        out += ".0";
      } else {
        out += digits.substr(0, int_len);
        out += ".";
        out += digits.substr(int_len);
      }
    }
    return out;
  }
  out += digits.substr(0, 1);
  if (digits.size() > 1) out += "." + digits.substr(1);
  char exp_buf[16];
  std::snprintf(exp_buf, sizeof(exp_buf), "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
  out += exp_buf;
  return out;
}

}  // namespace locai::engine
