// Model references `name:tag` (docs/control-plane.md, "Names and digests").
//
// Name: 1-128 of [a-z0-9._-/], each '/'-separated part non-empty and starting with [a-z0-9], no
// "..". Tag: 1-128 of [A-Za-z0-9._-], starting with [A-Za-z0-9]. A missing tag is `latest`.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace locai::control::registry {

inline constexpr std::string_view kDefaultTag = "latest";

struct ModelRef {
  std::string name;
  std::string tag;

  // "name:tag".
  std::string ToString() const { return name + ":" + tag; }
};

// Parses "name[:tag]". InvalidArgument saying what is wrong otherwise.
Result<ModelRef> ParseModelRef(std::string_view ref);

}  // namespace locai::control::registry
