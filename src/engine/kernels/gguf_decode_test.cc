// Decodes the quantised tensors of the shared conformance models (written by llama.cpp's
// quantiser from the same weights as the F16 model) and checks them against the F16 tensors.
// A wrong bit position or scale in any block layout shows up as an error of order 100%; the
// bounds here are each type's quantisation error with a wide margin.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "engine/kernels/quant.h"
#include "engine/kernels/tensor_type.h"

namespace locai::engine {
namespace {

struct TensorRef {
  uint32_t type;
  uint64_t elements;
  uint64_t offset;  // from the start of the data section
};

// A minimal GGUF reader for tests: tensor names, types, sizes and data (docs/gguf.md).
class MiniGguf {
 public:
  explicit MiniGguf(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    bytes_.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    ok_ = Parse();
  }
  bool ok() const { return ok_; }
  const std::map<std::string, TensorRef>& tensors() const { return tensors_; }
  const uint8_t* Data(const TensorRef& t) const { return bytes_.data() + data_start_ + t.offset; }
  uint64_t size() const { return bytes_.size(); }

 private:
  template <typename T>
  T Read() {
    T v{};
    if (pos_ + sizeof(T) > bytes_.size()) {
      pos_ = bytes_.size() + 1;
      return v;
    }
    std::memcpy(&v, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string ReadString() {
    const uint64_t n = Read<uint64_t>();
    if (pos_ + n > bytes_.size()) {
      pos_ = bytes_.size() + 1;
      return {};
    }
    std::string s(reinterpret_cast<const char*>(bytes_.data() + pos_), n);
    pos_ += n;
    return s;
  }
  void SkipValue(uint32_t type) {
    static const int kSizes[] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
    if (type == 8) {
      ReadString();
    } else if (type == 9) {
      const uint32_t elem = Read<uint32_t>();
      const uint64_t n = Read<uint64_t>();
      for (uint64_t i = 0; i < n && pos_ <= bytes_.size(); ++i) SkipValue(elem);
    } else if (type < 13) {
      pos_ += kSizes[type];
    } else {
      pos_ = bytes_.size() + 1;
    }
  }
  bool Parse() {
    if (bytes_.size() < 24 || std::memcmp(bytes_.data(), "GGUF", 4) != 0) return false;
    pos_ = 4;
    Read<uint32_t>();  // version
    const uint64_t n_tensors = Read<uint64_t>();
    const uint64_t n_kv = Read<uint64_t>();
    uint64_t alignment = 32;
    for (uint64_t i = 0; i < n_kv && pos_ <= bytes_.size(); ++i) {
      const std::string key = ReadString();
      const uint32_t type = Read<uint32_t>();
      if (key == "general.alignment" && type == 4) {
        alignment = Read<uint32_t>();
      } else {
        SkipValue(type);
      }
    }
    for (uint64_t i = 0; i < n_tensors && pos_ <= bytes_.size(); ++i) {
      const std::string name = ReadString();
      const uint32_t n_dims = Read<uint32_t>();
      uint64_t elements = 1;
      for (uint32_t d = 0; d < n_dims; ++d) elements *= Read<uint64_t>();
      const uint32_t type = Read<uint32_t>();
      tensors_[name] = {type, elements, Read<uint64_t>()};
    }
    if (pos_ > bytes_.size() || alignment == 0) return false;
    data_start_ = (pos_ + alignment - 1) / alignment * alignment;
    for (const auto& [name, t] : tensors_) {
      const auto type = TensorTypeFromId(t.type);
      if (!type) return false;
      const auto bytes = RowBytes(*type, t.elements);
      if (!bytes || data_start_ + t.offset + *bytes > bytes_.size()) return false;
    }
    return true;
  }

  std::vector<uint8_t> bytes_;
  size_t pos_ = 0;
  uint64_t data_start_ = 0;
  std::map<std::string, TensorRef> tensors_;
  bool ok_ = false;
};

std::vector<float> Decode(const MiniGguf& file, const TensorRef& t) {
  std::vector<float> out(t.elements);
  DequantizeRow(*TensorTypeFromId(t.type), file.Data(t), out.data(),
                static_cast<int64_t>(t.elements));
  return out;
}

double BoundFor(TensorType type) {
  switch (type) {
    case TensorType::kF32:
    case TensorType::kF16:
      return 1e-3;
    case TensorType::kQ8_0:
      return 0.02;
    case TensorType::kQ6_K:
      return 0.05;
    case TensorType::kQ5_0:
    case TensorType::kQ5_1:
    case TensorType::kQ5_K:
      return 0.1;
    case TensorType::kQ4_0:
    case TensorType::kQ4_1:
    case TensorType::kQ4_K:
      return 0.2;
    default:
      return 0.5;
  }
}

TEST(GgufDecodeTest, QuantisedModelsDecodeToTheirF16Weights) {
  const std::string dir = std::string(LOCAI_CONFORMANCE_DIR) + "/models/";
  const MiniGguf reference(dir + "small-f16.gguf");
  ASSERT_TRUE(reference.ok()) << "cannot read " << dir << "small-f16.gguf";
  std::map<TensorType, int> decoded_per_type;
  for (const char* name :
       {"small-q8_0.gguf", "small-q4_0.gguf", "small-q6_k.gguf", "small-q4_k_m.gguf"}) {
    const MiniGguf file(dir + name);
    ASSERT_TRUE(file.ok()) << "cannot read " << dir << name;
    for (const auto& [tensor_name, t] : file.tensors()) {
      const auto it = reference.tensors().find(tensor_name);
      ASSERT_NE(it, reference.tensors().end()) << tensor_name;
      ASSERT_EQ(it->second.elements, t.elements) << tensor_name;
      const TensorType type = *TensorTypeFromId(t.type);
      const std::vector<float> got = Decode(file, t);
      const std::vector<float> want = Decode(reference, it->second);
      double err2 = 0, ref2 = 0;
      for (size_t i = 0; i < got.size(); ++i) {
        err2 += (got[i] - static_cast<double>(want[i])) * (got[i] - want[i]);
        ref2 += static_cast<double>(want[i]) * want[i];
      }
      const double relative = ref2 > 0 ? std::sqrt(err2 / ref2) : std::sqrt(err2);
      EXPECT_LE(relative, BoundFor(type)) << name << " " << tensor_name << " " << Traits(type).name;
      ++decoded_per_type[type];

      // Our quantiser on the same weights: no worse than llama.cpp's by more than a little.
      std::vector<uint8_t> mine(RowBytes(type, t.elements).value());
      ASSERT_TRUE(
          QuantizeRow(type, want.data(), mine.data(), static_cast<int64_t>(t.elements)).ok());
      std::vector<float> back(t.elements);
      DequantizeRow(type, mine.data(), back.data(), static_cast<int64_t>(t.elements));
      double mine2 = 0;
      for (size_t i = 0; i < back.size(); ++i) {
        mine2 += (back[i] - static_cast<double>(want[i])) * (back[i] - want[i]);
      }
      const double mine_relative = ref2 > 0 ? std::sqrt(mine2 / ref2) : std::sqrt(mine2);
      EXPECT_LE(mine_relative, relative * 1.1 + 1e-4) << name << " " << tensor_name;
    }
  }
  // The files cover the layouts the engine's main targets use.
  for (TensorType type :
       {TensorType::kQ8_0, TensorType::kQ4_0, TensorType::kQ4_K, TensorType::kQ6_K}) {
    EXPECT_GT(decoded_per_type[type], 0) << Traits(type).name;
  }
}

}  // namespace
}  // namespace locai::engine
