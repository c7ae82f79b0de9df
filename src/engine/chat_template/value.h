// TemplateValue: the data a chat template sees, and the values it computes.
//
// A value is undefined, null (Python None), a bool, an int64, a double, a UTF-8 string, an array,
// an object (string keys in insertion order), or a callable (a template global or macro; produced
// only by the interpreter). Arrays and objects are shared on copy (reference semantics, as in
// Python): build a value completely before copying it around. The interpreter never mutates an
// array or object it did not create, except a namespace() object through `{% set ns.x = ... %}`.
// Thread-safety: a value is safe to read from several threads once nobody mutates it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "common/status.h"

namespace locai::engine {

class TemplateValue;
using TemplateArray = std::vector<TemplateValue>;

// An object's entries, in insertion order. Lookups are linear: template objects are small.
class TemplateObject {
 public:
  using Entry = std::pair<std::string, TemplateValue>;

  // The value stored under `key`, or null when absent.
  const TemplateValue* Find(std::string_view key) const;
  // Stores `value` under `key`: replaces in place when present, appends otherwise.
  void Set(std::string key, TemplateValue value);
  // Appends without looking for an existing `key`: the caller guarantees it is new.
  void AppendNew(std::string key, TemplateValue value);
  void Reserve(size_t n);
  const std::vector<Entry>& entries() const { return entries_; }
  size_t size() const { return entries_.size(); }

  // True for objects made by the template global namespace(): the only mutable objects.
  bool is_namespace = false;

 private:
  std::vector<Entry> entries_;
};

// A function value: a built-in global (`range`, `namespace`, ...) or a macro. `target` is an
// interpreter-internal pointer (the macro's definition) that stays valid while its template lives.
struct TemplateCallable {
  std::string name;
  const void* target = nullptr;
};

class TemplateValue {
 public:
  enum class Kind : uint8_t {
    kUndefined,
    kNull,
    kBool,
    kInt,
    kDouble,
    kString,
    kArray,
    kObject,
    kCallable,
  };

  TemplateValue() = default;  // undefined
  TemplateValue(bool b) : kind_(Kind::kBool), data_(b) {}
  TemplateValue(int v) : kind_(Kind::kInt), data_(int64_t{v}) {}
  TemplateValue(int64_t v) : kind_(Kind::kInt), data_(v) {}
  TemplateValue(double v) : kind_(Kind::kDouble), data_(v) {}
  TemplateValue(std::string s) : kind_(Kind::kString), data_(std::move(s)) {}
  TemplateValue(std::string_view s) : kind_(Kind::kString), data_(std::string(s)) {}
  TemplateValue(const char* s) : kind_(Kind::kString), data_(std::string(s)) {}
  TemplateValue(TemplateArray items)
      : kind_(Kind::kArray), data_(std::make_shared<TemplateArray>(std::move(items))) {}

  static TemplateValue Undefined() { return TemplateValue(); }
  static TemplateValue Null();
  static TemplateValue Array(TemplateArray items = {}) { return TemplateValue(std::move(items)); }
  static TemplateValue Object();
  // An object with these entries, in this order (a repeated key keeps its first position).
  static TemplateValue Object(std::vector<TemplateObject::Entry> entries);
  static TemplateValue Callable(std::string name, const void* target = nullptr);

  Kind kind() const { return kind_; }
  bool is_undefined() const { return kind_ == Kind::kUndefined; }
  bool is_null() const { return kind_ == Kind::kNull; }
  bool is_bool() const { return kind_ == Kind::kBool; }
  bool is_int() const { return kind_ == Kind::kInt; }
  bool is_double() const { return kind_ == Kind::kDouble; }
  bool is_number() const { return kind_ == Kind::kInt || kind_ == Kind::kDouble; }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_array() const { return kind_ == Kind::kArray; }
  bool is_object() const { return kind_ == Kind::kObject; }
  bool is_callable() const { return kind_ == Kind::kCallable; }

  // Accessors; each requires the matching kind (checked by assert in debug builds, and returning
  // a neutral value otherwise).
  bool AsBool() const;
  int64_t AsInt() const;
  double AsDouble() const;  // ints convert
  const std::string& AsString() const;
  const TemplateArray& AsArray() const;
  const TemplateObject& AsObject() const;
  const TemplateCallable& AsCallable() const;
  // Mutable access for building values (shared with every copy).
  TemplateArray& MutableArray();
  TemplateObject& MutableObject();

  // Builder helpers: Set requires an object, Append an array. Both return *this.
  TemplateValue& Set(std::string key, TemplateValue value);
  TemplateValue& Append(TemplateValue value);
  // Object lookup; null when this is not an object or the key is absent.
  const TemplateValue* Find(std::string_view key) const;

  // Identity of the shared array/object (null for other kinds), for cycle checks.
  const void* Identity() const;

  // Python truthiness: undefined, null, false, 0, 0.0 and empty strings/arrays/objects are false.
  bool Truthy() const;
  // Python type name of the value, for error messages ("str", "int", "list", "dict", ...).
  std::string_view TypeName() const;

 private:
  Kind kind_ = Kind::kUndefined;
  std::variant<std::monostate, bool, int64_t, double, std::string, std::shared_ptr<TemplateArray>,
               std::shared_ptr<TemplateObject>, std::shared_ptr<const TemplateCallable>>
      data_;
};

// Conversions that recurse into arrays and objects fail with ResourceExhausted past `max_depth`
// levels or, for the text conversions, past `max_bytes` of output (a value may share one array
// many times, so its text can be far larger than its memory).
// Python str(): strings as they are, None, True/False, 1.0, ['a', 1], {'k': 'v'}; undefined is "".
Result<std::string> ToPythonString(const TemplateValue& value, int max_depth,
                                   size_t max_bytes = SIZE_MAX);
// Python repr(): like str() but strings are quoted ('it\'s' as Python writes it: "it's").
Result<std::string> ToPythonRepr(const TemplateValue& value, int max_depth,
                                 size_t max_bytes = SIZE_MAX);
// json.dumps(value, ensure_ascii=False, indent=indent): indent < 0 means none (", " and ": "
// separators on one line); indent >= 0 puts each item on its own line with "," and ": ".
// Undefined is written as null.
Result<std::string> ToJson(const TemplateValue& value, int indent, int max_depth,
                           size_t max_bytes = SIZE_MAX);
// Python ==: 1 == 1.0 == True; arrays element-wise; objects as key sets; undefined == undefined.
// When `node_budget` is given, each pair of values compared takes one from it, and an exhausted
// budget is ResourceExhausted.
Result<bool> ValuesEqual(const TemplateValue& a, const TemplateValue& b, int max_depth,
                         uint64_t* node_budget = nullptr);
// Python double repr: the shortest text that reads back, with ".0" added to integral values.
std::string FormatDouble(double value);

}  // namespace locai::engine
