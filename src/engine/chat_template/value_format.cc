// Text forms of template values: Python str()/repr(), json.dumps and Python's float repr.
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "engine/chat_template/value.h"

namespace locai::engine {
namespace {

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
