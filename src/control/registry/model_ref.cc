#include "control/registry/model_ref.h"

#include <string>

namespace locai::control::registry {
namespace {

constexpr size_t kMaxPartChars = 128;

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsAlnum(char c) { return IsLowerAlnum(c) || (c >= 'A' && c <= 'Z'); }

Status ValidateName(std::string_view name) {
  if (name.empty() || name.size() > kMaxPartChars) {
    return Status::InvalidArgument("a model name must be 1 to 128 characters");
  }
  if (name.find("..") != std::string_view::npos) {
    return Status::InvalidArgument("a model name must not contain '..'");
  }
  bool part_start = true;
  for (char c : name) {
    if (c == '/') {
      if (part_start) return Status::InvalidArgument("a model name has an empty '/' part");
      part_start = true;
      continue;
    }
    if (!IsLowerAlnum(c) && c != '.' && c != '_' && c != '-') {
      return Status::InvalidArgument("a model name may only contain a-z 0-9 . _ - /");
    }
    if (part_start && !IsLowerAlnum(c)) {
      return Status::InvalidArgument("each part of a model name must start with a-z or 0-9");
    }
    part_start = false;
  }
  if (part_start) return Status::InvalidArgument("a model name must not end with '/'");
  return Status::Ok();
}

Status ValidateTag(std::string_view tag) {
  if (tag.empty() || tag.size() > kMaxPartChars) {
    return Status::InvalidArgument("a model tag must be 1 to 128 characters");
  }
  if (!IsAlnum(tag.front())) {
    return Status::InvalidArgument("a model tag must start with A-Z, a-z or 0-9");
  }
  for (char c : tag) {
    if (!IsAlnum(c) && c != '.' && c != '_' && c != '-') {
      return Status::InvalidArgument("a model tag may only contain A-Z a-z 0-9 . _ -");
    }
  }
  return Status::Ok();
}

}  // namespace

Result<ModelRef> ParseModelRef(std::string_view ref) {
  ModelRef parsed;
  const size_t colon = ref.rfind(':');
  if (colon == std::string_view::npos) {
    parsed.name = std::string(ref);
    parsed.tag = std::string(kDefaultTag);
  } else {
    parsed.name = std::string(ref.substr(0, colon));
    parsed.tag = std::string(ref.substr(colon + 1));
  }
  LOCAI_RETURN_IF_ERROR(ValidateName(parsed.name));
  LOCAI_RETURN_IF_ERROR(ValidateTag(parsed.tag));
  return parsed;
}

}  // namespace locai::control::registry
