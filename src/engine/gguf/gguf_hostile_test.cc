// Hostile GGUF files: each must be refused with an error, never a crash, an out-of-bounds read or
// an allocation the file size does not justify (the bugs behind the GGUF CVEs of other runtimes).
// Run under ASan/UBSan in CI.
#include <gtest/gtest.h>

#include <cstring>
#include <limits>
#include <random>

#include "engine/gguf/gguf_file.h"

namespace locai::engine::gguf {
namespace {

// Builds a small valid GGUF image by hand, remembering where each field sits so tests can patch it.
struct Image {
  std::vector<uint8_t> bytes;
  size_t tensor_count_at = 0, kv_count_at = 0;
  size_t key_len_at = 0, string_len_at = 0, array_count_at = 0, array_type_at = 0;
  size_t alignment_at = 0, n_dims_at = 0, dim0_at = 0, dim1_at = 0, type_at = 0, offset_at = 0;
  size_t scores_type_at = 0;

  template <typename T>
  size_t Put(T v) {
    size_t at = bytes.size();
    bytes.resize(at + sizeof(T));
    std::memcpy(bytes.data() + at, &v, sizeof(T));
    return at;
  }
  size_t PutString(std::string_view s) {
    size_t at = Put<uint64_t>(s.size());
    bytes.insert(bytes.end(), s.begin(), s.end());
    return at;
  }
  template <typename T>
  void Patch(size_t at, T v) {
    std::memcpy(bytes.data() + at, &v, sizeof(T));
  }
};

Image BuildValid() {
  Image img;
  img.Put<uint32_t>(0x46554747);
  img.Put<uint32_t>(3);
  img.tensor_count_at = img.Put<uint64_t>(1);
  img.kv_count_at = img.Put<uint64_t>(4);
  // general.architecture = "llama"
  img.key_len_at = img.PutString("general.architecture");
  img.Put<uint32_t>(8);
  img.string_len_at = img.PutString("llama");
  // tokenizer.ggml.tokens = ["a", "b"]
  img.PutString("tokenizer.ggml.tokens");
  img.Put<uint32_t>(9);
  img.array_type_at = img.Put<uint32_t>(8);
  img.array_count_at = img.Put<uint64_t>(2);
  img.PutString("a");
  img.PutString("b");
  // tokenizer.ggml.scores = [0.0, 1.0]
  img.PutString("tokenizer.ggml.scores");
  img.Put<uint32_t>(9);
  img.scores_type_at = img.Put<uint32_t>(6);
  img.Put<uint64_t>(2);
  img.Put<float>(0.0f);
  img.Put<float>(1.0f);
  // general.alignment = 32
  img.PutString("general.alignment");
  img.Put<uint32_t>(4);
  img.alignment_at = img.Put<uint32_t>(32);
  // tensor "w": f32 [4, 2] at offset 0
  img.PutString("w");
  img.n_dims_at = img.Put<uint32_t>(2);
  img.dim0_at = img.Put<uint64_t>(4);
  img.dim1_at = img.Put<uint64_t>(2);
  img.type_at = img.Put<uint32_t>(0);
  img.offset_at = img.Put<uint64_t>(0);
  while (img.bytes.size() % 32 != 0) img.bytes.push_back(0);
  for (int i = 0; i < 32; ++i) img.bytes.push_back(static_cast<uint8_t>(i));
  return img;
}

Result<std::unique_ptr<GgufFile>> ParseImage(const Image& img) {
  return GgufFile::Parse(img.bytes, "hostile.gguf");
}

void ExpectRefused(const Image& img, std::string_view expect_in_message) {
  auto file = ParseImage(img);
  ASSERT_FALSE(file) << "accepted a hostile file (expected: " << expect_in_message << ")";
  EXPECT_NE(file.error().message().find("hostile.gguf"), std::string::npos)
      << file.error().message();
  EXPECT_NE(file.error().message().find(expect_in_message), std::string::npos)
      << file.error().message();
}

constexpr uint64_t kHostileCounts[] = {uint64_t{1} << 31, uint64_t{1} << 32,
                                       std::numeric_limits<uint64_t>::max()};

TEST(GgufHostileTest, ValidImageParses) {
  const Image img = BuildValid();  // Parse() keeps pointers into the bytes: they must outlive it
  auto file = ParseImage(img);
  ASSERT_TRUE(file) << file.error().ToString();
  EXPECT_EQ((*file)->tensors().size(), 1u);
  EXPECT_EQ((*file)->FindTensor("w")->data[31], 31);
}

TEST(GgufHostileTest, BadMagicAndVersion) {
  Image img = BuildValid();
  img.bytes[0] = 'X';
  ExpectRefused(img, "not a GGUF file");
  for (uint32_t version : {0u, 1u, 4u, 0x03000000u}) {
    Image v = BuildValid();
    v.Patch<uint32_t>(4, version);
    ExpectRefused(v, "version");
  }
}

TEST(GgufHostileTest, TruncatedAtEveryByte) {
  const Image img = BuildValid();
  for (size_t len = 0; len < img.bytes.size(); ++len) {
    // A heap copy of exactly `len` bytes, so ASan catches any read past the end.
    std::vector<uint8_t> cut(img.bytes.begin(), img.bytes.begin() + static_cast<long>(len));
    auto file = GgufFile::Parse(cut, "hostile.gguf");
    EXPECT_FALSE(file) << "accepted a file cut at " << len << " bytes";
  }
}

TEST(GgufHostileTest, HugeCounts) {
  for (uint64_t count : kHostileCounts) {
    Image t = BuildValid();
    t.Patch<uint64_t>(t.tensor_count_at, count);
    ExpectRefused(t, "tensor_count");
    Image k = BuildValid();
    k.Patch<uint64_t>(k.kv_count_at, count);
    ExpectRefused(k, "metadata_kv_count");
    Image a = BuildValid();
    a.Patch<uint64_t>(a.array_count_at, count);
    ExpectRefused(a, "array count");
    Image s = BuildValid();
    s.Patch<uint64_t>(s.string_len_at, count);
    ExpectRefused(s, "string length");
    Image key = BuildValid();
    key.Patch<uint64_t>(key.key_len_at, count);
    ExpectRefused(key, "string length");
  }
}

TEST(GgufHostileTest, ZeroCountsAreFineOrRefusedCleanly) {
  Image t = BuildValid();
  t.Patch<uint64_t>(t.tensor_count_at, 0);
  EXPECT_TRUE(ParseImage(t));  // a vocabulary-only file has no tensors
  Image a = BuildValid();
  a.Patch<uint64_t>(a.array_count_at, 0);
  EXPECT_FALSE(ParseImage(a));  // the two strings now follow as garbage where a key should be
  Image s = BuildValid();
  s.Patch<uint64_t>(s.string_len_at, 0);
  EXPECT_FALSE(ParseImage(s));
}

TEST(GgufHostileTest, Dimensions) {
  for (uint32_t n_dims : {0u, 5u, 0xffffffffu}) {
    Image img = BuildValid();
    img.Patch<uint32_t>(img.n_dims_at, n_dims);
    ExpectRefused(img, "dimension count");
  }
  Image zero = BuildValid();
  zero.Patch<uint64_t>(zero.dim1_at, 0);
  ExpectRefused(zero, "is zero or makes the element count overflow");
  for (uint64_t dim : kHostileCounts) {
    Image img = BuildValid();
    img.Patch<uint64_t>(img.dim1_at, dim);
    EXPECT_FALSE(ParseImage(img)) << dim;
  }
  Image overflow = BuildValid();
  overflow.Patch<uint64_t>(overflow.dim0_at, uint64_t{1} << 40);
  overflow.Patch<uint64_t>(overflow.dim1_at, uint64_t{1} << 40);
  ExpectRefused(overflow, "overflow");
}

TEST(GgufHostileTest, TensorDataPastTheEnd) {
  Image img = BuildValid();
  img.bytes.pop_back();  // data now ends one byte short
  ExpectRefused(img, "ends past the end of the file");
  Image off = BuildValid();
  off.Patch<uint64_t>(off.offset_at, 32);
  ExpectRefused(off, "ends past the end of the file");
  Image huge = BuildValid();
  huge.Patch<uint64_t>(huge.offset_at, std::numeric_limits<uint64_t>::max() - 31);
  ExpectRefused(huge, "past the end");
  Image misaligned = BuildValid();
  misaligned.Patch<uint64_t>(misaligned.offset_at, 4);
  ExpectRefused(misaligned, "not aligned");
}

TEST(GgufHostileTest, UnknownTensorTypeAndBlockMismatch) {
  Image img = BuildValid();
  img.Patch<uint32_t>(img.type_at, 99);
  ExpectRefused(img, "unknown tensor type 99");
  Image q = BuildValid();
  q.Patch<uint32_t>(q.type_at, 2);  // q4_0 needs rows of 32 elements, this one has 4
  ExpectRefused(q, "whole number");
}

TEST(GgufHostileTest, Alignment) {
  for (uint32_t alignment : {0u, 3u, 1u << 31}) {
    Image img = BuildValid();
    img.Patch<uint32_t>(img.alignment_at, alignment);
    ExpectRefused(img, "general.alignment");
  }
}

TEST(GgufHostileTest, UnknownValueTypes) {
  Image img = BuildValid();
  img.Patch<uint32_t>(img.array_type_at, 13);
  ExpectRefused(img, "unknown array element type");
  Image nested = BuildValid();
  nested.Patch<uint32_t>(nested.array_type_at, 9);  // array of arrays, reading garbage
  EXPECT_FALSE(ParseImage(nested));
}

TEST(GgufHostileTest, WrongScoreTypeIsVisibleToCallers) {
  Image img = BuildValid();
  img.Patch<uint32_t>(img.scores_type_at, 4);  // uint32 scores: same size, wrong type
  auto file = ParseImage(img);
  ASSERT_TRUE(file);  // the container is fine; the tokenizer refuses it by type
  auto scores = (*file)->GetArray("tokenizer.ggml.scores");
  ASSERT_TRUE(scores);
  EXPECT_EQ((*scores)->element_type, ValueType::kUint32);
}

TEST(GgufHostileTest, SeededMutationNeverCrashes) {
  const Image base = BuildValid();
  std::mt19937_64 rng(12345);
  int accepted = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::vector<uint8_t> bytes = base.bytes;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) {
      size_t at = rng() % bytes.size();
      switch (rng() % 3) {
        case 0: bytes[at] = static_cast<uint8_t>(rng()); break;
        case 1: bytes[at] = 0xff; break;
        default: bytes.resize(at); break;
      }
      if (bytes.empty()) break;
    }
    auto file = GgufFile::Parse(bytes, "fuzz.gguf");
    if (file) {
      ++accepted;
      for (const auto& t : (*file)->tensors()) {
        // Touch the first and last byte of every accepted tensor: ASan checks the bounds.
        volatile uint8_t first = t.data[0];
        volatile uint8_t last = t.data[t.size_bytes - 1];
        (void)first;
        (void)last;
      }
    }
  }
  EXPECT_GT(accepted, 0);  // some mutations hit padding or tensor data and stay valid
}

}  // namespace
}  // namespace locai::engine::gguf
