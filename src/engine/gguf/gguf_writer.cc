#include "engine/gguf/gguf_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace locai::engine::gguf {

namespace {

constexpr uint32_t kMagic = 0x46554747;
constexpr uint32_t kVersion = 3;

class Encoder {
 public:
  template <typename T>
  void Put(T v) {
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    out_.insert(out_.end(), p, p + sizeof(T));
  }
  void PutString(std::string_view s) {
    Put<uint64_t>(s.size());
    out_.insert(out_.end(), s.begin(), s.end());
  }
  void PutValue(const Value& v) {
    switch (v.type) {
      case ValueType::kUint8: Put<uint8_t>(static_cast<uint8_t>(std::get<uint64_t>(v.data))); break;
      case ValueType::kInt8: Put<int8_t>(static_cast<int8_t>(std::get<int64_t>(v.data))); break;
      case ValueType::kUint16: Put<uint16_t>(static_cast<uint16_t>(std::get<uint64_t>(v.data))); break;
      case ValueType::kInt16: Put<int16_t>(static_cast<int16_t>(std::get<int64_t>(v.data))); break;
      case ValueType::kUint32: Put<uint32_t>(static_cast<uint32_t>(std::get<uint64_t>(v.data))); break;
      case ValueType::kInt32: Put<int32_t>(static_cast<int32_t>(std::get<int64_t>(v.data))); break;
      case ValueType::kUint64: Put<uint64_t>(std::get<uint64_t>(v.data)); break;
      case ValueType::kInt64: Put<int64_t>(std::get<int64_t>(v.data)); break;
      case ValueType::kFloat32: Put<float>(static_cast<float>(std::get<double>(v.data))); break;
      case ValueType::kFloat64: Put<double>(std::get<double>(v.data)); break;
      case ValueType::kBool: Put<uint8_t>(std::get<bool>(v.data) ? 1 : 0); break;
      case ValueType::kString: PutString(std::get<std::string>(v.data)); break;
      case ValueType::kArray: {
        const auto& arr = std::get<Array>(v.data);
        Put<uint32_t>(static_cast<uint32_t>(arr.element_type));
        Put<uint64_t>(arr.items.size());
        for (const auto& item : arr.items) PutValue(item);
        break;
      }
    }
  }
  void PadTo(uint64_t alignment) {
    while (out_.size() % alignment != 0) out_.push_back(0);
  }
  std::vector<uint8_t>& bytes() { return out_; }

 private:
  std::vector<uint8_t> out_;
};

uint64_t AlignUp(uint64_t v, uint64_t alignment) { return (v + alignment - 1) / alignment * alignment; }

Status WriteAll(int fd, const uint8_t* data, size_t len, const std::string& path) {
  while (len > 0) {
    ssize_t n = ::write(fd, data, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::Internal(path + ": write failed: " + std::strerror(errno));
    }
    data += n;
    len -= static_cast<size_t>(n);
  }
  return Status::Ok();
}

}  // namespace

void GgufWriter::Set(std::string key, Value value) {
  for (auto& kv : metadata_) {
    if (kv.key == key) {
      kv.value = std::move(value);
      return;
    }
  }
  metadata_.push_back({std::move(key), std::move(value)});
}

void GgufWriter::SetString(std::string key, std::string value) {
  Set(std::move(key), Value{ValueType::kString, std::move(value)});
}
void GgufWriter::SetUint32(std::string key, uint32_t value) {
  Set(std::move(key), Value{ValueType::kUint32, uint64_t{value}});
}
void GgufWriter::SetInt32(std::string key, int32_t value) {
  Set(std::move(key), Value{ValueType::kInt32, int64_t{value}});
}
void GgufWriter::SetUint64(std::string key, uint64_t value) {
  Set(std::move(key), Value{ValueType::kUint64, value});
}
void GgufWriter::SetFloat32(std::string key, float value) {
  Set(std::move(key), Value{ValueType::kFloat32, double{value}});
}
void GgufWriter::SetBool(std::string key, bool value) {
  Set(std::move(key), Value{ValueType::kBool, value});
}
void GgufWriter::SetStringArray(std::string key, std::vector<std::string> values) {
  Array arr{ValueType::kString, {}};
  arr.items.reserve(values.size());
  for (auto& v : values) arr.items.push_back(Value{ValueType::kString, std::move(v)});
  Set(std::move(key), Value{ValueType::kArray, std::move(arr)});
}
void GgufWriter::SetFloat32Array(std::string key, const std::vector<float>& values) {
  Array arr{ValueType::kFloat32, {}};
  arr.items.reserve(values.size());
  for (float v : values) arr.items.push_back(Value{ValueType::kFloat32, double{v}});
  Set(std::move(key), Value{ValueType::kArray, std::move(arr)});
}
void GgufWriter::SetInt32Array(std::string key, const std::vector<int32_t>& values) {
  Array arr{ValueType::kInt32, {}};
  arr.items.reserve(values.size());
  for (int32_t v : values) arr.items.push_back(Value{ValueType::kInt32, int64_t{v}});
  Set(std::move(key), Value{ValueType::kArray, std::move(arr)});
}

void GgufWriter::CopyMetadata(const GgufFile& source, std::string_view prefix) {
  for (const auto& kv : source.metadata()) {
    if (kv.key.compare(0, prefix.size(), prefix) == 0) Set(kv.key, kv.value);
  }
}

Status GgufWriter::AddTensor(std::string name, std::vector<int64_t> dims, TensorType type,
                             Producer produce) {
  if (dims.empty() || dims.size() > 4) {
    return Status::InvalidArgument(name + ": a tensor has 1 to 4 dimensions");
  }
  uint64_t rows = 1;
  for (size_t i = 1; i < dims.size(); ++i) rows *= static_cast<uint64_t>(dims[i]);
  auto row_bytes = RowBytes(type, static_cast<uint64_t>(dims[0]));
  if (!row_bytes) {
    return Status::InvalidArgument(name + ": row of " + std::to_string(dims[0]) +
                                   " elements is not a whole number of " +
                                   std::string(Traits(type).name) + " blocks");
  }
  tensors_.push_back({std::move(name), std::move(dims), type, *row_bytes * rows, std::move(produce)});
  return Status::Ok();
}

Status GgufWriter::AddTensor(std::string name, std::vector<int64_t> dims, TensorType type,
                             std::vector<uint8_t> bytes) {
  auto shared = std::make_shared<std::vector<uint8_t>>(std::move(bytes));
  std::string label = name;
  return AddTensor(std::move(name), std::move(dims), type,
                   [shared, label](std::span<uint8_t> out) -> Status {
                     if (out.size() != shared->size()) {
                       return Status::InvalidArgument(label + ": data has " +
                                                      std::to_string(shared->size()) +
                                                      " bytes, the tensor needs " +
                                                      std::to_string(out.size()));
                     }
                     std::memcpy(out.data(), shared->data(), out.size());
                     return Status::Ok();
                   });
}

std::vector<uint8_t> GgufWriter::EncodeHeader() const {
  Encoder enc;
  enc.Put<uint32_t>(kMagic);
  enc.Put<uint32_t>(kVersion);
  enc.Put<uint64_t>(tensors_.size());
  const bool has_alignment_key = [&] {
    for (const auto& kv : metadata_) {
      if (kv.key == "general.alignment") return true;
    }
    return false;
  }();
  enc.Put<uint64_t>(metadata_.size() + ((alignment_ != 32 && !has_alignment_key) ? 1 : 0));
  for (const auto& kv : metadata_) {
    enc.PutString(kv.key);
    enc.Put<uint32_t>(static_cast<uint32_t>(kv.value.type));
    enc.PutValue(kv.value);
  }
  if (alignment_ != 32 && !has_alignment_key) {
    enc.PutString("general.alignment");
    enc.Put<uint32_t>(static_cast<uint32_t>(ValueType::kUint32));
    enc.Put<uint32_t>(static_cast<uint32_t>(alignment_));
  }
  uint64_t offset = 0;
  for (const auto& t : tensors_) {
    enc.PutString(t.name);
    enc.Put<uint32_t>(static_cast<uint32_t>(t.dims.size()));
    for (int64_t d : t.dims) enc.Put<uint64_t>(static_cast<uint64_t>(d));
    enc.Put<uint32_t>(static_cast<uint32_t>(t.type));
    enc.Put<uint64_t>(offset);
    offset = AlignUp(offset + t.size_bytes, alignment_);
  }
  enc.PadTo(alignment_);
  return std::move(enc.bytes());
}

Result<std::vector<uint8_t>> GgufWriter::Serialize() const {
  std::vector<uint8_t> out = EncodeHeader();
  for (const auto& t : tensors_) {
    const size_t start = out.size();
    out.resize(AlignUp(start + t.size_bytes, alignment_), 0);
    LOCAI_RETURN_IF_ERROR(t.produce(std::span<uint8_t>(out.data() + start, t.size_bytes)));
  }
  return out;
}

Status GgufWriter::WriteFile(const std::string& path,
                             const std::function<void(size_t, size_t)>& progress) const {
  const std::string tmp_path = path + ".tmp-" + std::to_string(::getpid());
  int fd = ::open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::Internal(tmp_path + ": cannot create: " + std::strerror(errno));
  auto fail = [&](Status s) {
    ::close(fd);
    ::unlink(tmp_path.c_str());
    return s;
  };
  const std::vector<uint8_t> header = EncodeHeader();
  if (Status s = WriteAll(fd, header.data(), header.size(), tmp_path); !s.ok()) return fail(s);
  std::vector<uint8_t> buffer;
  for (size_t i = 0; i < tensors_.size(); ++i) {
    const auto& t = tensors_[i];
    buffer.assign(AlignUp(t.size_bytes, alignment_), 0);
    if (Status s = t.produce(std::span<uint8_t>(buffer.data(), t.size_bytes)); !s.ok()) {
      return fail(s);
    }
    if (Status s = WriteAll(fd, buffer.data(), buffer.size(), tmp_path); !s.ok()) return fail(s);
    if (progress) progress(i + 1, tensors_.size());
  }
  if (::fsync(fd) != 0) return fail(Status::Internal(tmp_path + ": fsync failed: " + std::strerror(errno)));
  if (::close(fd) != 0) {
    ::unlink(tmp_path.c_str());
    return Status::Internal(tmp_path + ": close failed: " + std::strerror(errno));
  }
  if (::rename(tmp_path.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp_path.c_str());
    return Status::Internal(path + ": rename failed: " + std::strerror(err));
  }
  return Status::Ok();
}

}  // namespace locai::engine::gguf
