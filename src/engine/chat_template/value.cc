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

}  // namespace locai::engine
