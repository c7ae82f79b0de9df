#include "engine/gguf/gguf_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>

#include "engine/gguf/byte_reader.h"

namespace locai::engine::gguf {

namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" read as little-endian uint32
constexpr uint64_t kMaxAlignment = 1 << 16;

// The smallest encoded size of one value of `type`, so that a declared element count can be
// checked against the bytes left before anything is allocated.
uint64_t MinEncodedSize(ValueType type) {
  switch (type) {
    case ValueType::kUint8:
    case ValueType::kInt8:
    case ValueType::kBool:
      return 1;
    case ValueType::kUint16:
    case ValueType::kInt16:
      return 2;
    case ValueType::kUint32:
    case ValueType::kInt32:
    case ValueType::kFloat32:
      return 4;
    case ValueType::kUint64:
    case ValueType::kInt64:
    case ValueType::kFloat64:
    case ValueType::kString:  // its 8-byte length
      return 8;
    case ValueType::kArray:  // element type + count
      return 12;
  }
  return 1;
}

bool IsKnownValueType(uint32_t raw) { return raw <= static_cast<uint32_t>(ValueType::kFloat64); }

}  // namespace

// The read-only mapping of a model file; unmapped on destruction.
class GgufFile::Mapping {
 public:
  Mapping(void* addr, size_t size) : addr_(addr), size_(size) {}
  ~Mapping() {
    if (addr_ != nullptr && size_ > 0) munmap(addr_, size_);
  }
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  std::span<const uint8_t> bytes() const {
    return {static_cast<const uint8_t*>(addr_), size_};
  }

 private:
  void* addr_;
  size_t size_;
};

std::string_view ValueTypeName(ValueType type) {
  switch (type) {
    case ValueType::kUint8: return "uint8";
    case ValueType::kInt8: return "int8";
    case ValueType::kUint16: return "uint16";
    case ValueType::kInt16: return "int16";
    case ValueType::kUint32: return "uint32";
    case ValueType::kInt32: return "int32";
    case ValueType::kFloat32: return "float32";
    case ValueType::kBool: return "bool";
    case ValueType::kString: return "string";
    case ValueType::kArray: return "array";
    case ValueType::kUint64: return "uint64";
    case ValueType::kInt64: return "int64";
    case ValueType::kFloat64: return "float64";
  }
  return "unknown";
}

bool Value::is_integer() const {
  switch (type) {
    case ValueType::kUint8:
    case ValueType::kInt8:
    case ValueType::kUint16:
    case ValueType::kInt16:
    case ValueType::kUint32:
    case ValueType::kInt32:
    case ValueType::kUint64:
    case ValueType::kInt64:
      return true;
    default:
      return false;
  }
}

std::optional<int64_t> Value::AsInt() const {
  if (const auto* u = std::get_if<uint64_t>(&data)) {
    if (*u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return static_cast<int64_t>(*u);
  }
  if (const auto* i = std::get_if<int64_t>(&data)) return *i;
  return std::nullopt;
}

std::optional<double> Value::AsFloat() const {
  if (const auto* d = std::get_if<double>(&data)) return *d;
  if (const auto* u = std::get_if<uint64_t>(&data)) return static_cast<double>(*u);
  if (const auto* i = std::get_if<int64_t>(&data)) return static_cast<double>(*i);
  return std::nullopt;
}

int64_t TensorInfo::rows() const {
  int64_t rows = 1;
  for (size_t i = 1; i < dims.size(); ++i) rows *= dims[i];
  return rows;
}

GgufFile::~GgufFile() = default;

Status GgufFile::Error(StatusCode code, std::string_view field, std::string_view reason) const {
  std::string msg = path_;
  msg += ": ";
  msg += field;
  msg += ": ";
  msg += reason;
  switch (code) {
    case StatusCode::kInvalidArgument: return Status::InvalidArgument(std::move(msg));
    case StatusCode::kNotFound: return Status::NotFound(std::move(msg));
    case StatusCode::kUnimplemented: return Status::Unimplemented(std::move(msg));
    default: return Status::DataLoss(std::move(msg));
  }
}

Result<std::unique_ptr<GgufFile>> GgufFile::Open(const std::string& path,
                                                 const ParseLimits& limits) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Err(Status::NotFound(path + ": cannot open: " + std::strerror(errno)));
  }
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Err(Status::InvalidArgument(path + ": not a regular file"));
  }
  const auto size = static_cast<size_t>(st.st_size);
  void* addr = nullptr;
  if (size > 0) {
    addr = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (addr == MAP_FAILED) {
      int err = errno;
      ::close(fd);
      return Err(Status::Internal(path + ": mmap failed: " + std::strerror(err)));
    }
  }
  ::close(fd);  // the mapping keeps the file alive
  auto file = std::unique_ptr<GgufFile>(new GgufFile());
  file->path_ = path;
  file->mapping_ = std::make_unique<Mapping>(addr, size);
  file->bytes_ = file->mapping_->bytes();
  LOCAI_RETURN_IF_ERROR(file->ParseAll(limits));
  return file;
}

Result<std::unique_ptr<GgufFile>> GgufFile::Parse(std::span<const uint8_t> bytes,
                                                  std::string display_name,
                                                  const ParseLimits& limits) {
  auto file = std::unique_ptr<GgufFile>(new GgufFile());
  file->path_ = std::move(display_name);
  file->bytes_ = bytes;
  LOCAI_RETURN_IF_ERROR(file->ParseAll(limits));
  return file;
}

namespace {

// Parses metadata values; a small class so the recursion for arrays carries the context.
class ValueParser {
 public:
  ValueParser(const GgufFile& file, ByteReader& reader, const ParseLimits& limits)
      : file_(file), reader_(reader), limits_(limits) {}

  Status ReadString(std::string_view field, std::string* out) {
    uint64_t len = 0;
    if (!reader_.Read(&len)) return Truncated(field);
    if (len > limits_.max_string_bytes) {
      return file_.Error(StatusCode::kDataLoss, field,
                         "string length " + std::to_string(len) + " exceeds the limit of " +
                             std::to_string(limits_.max_string_bytes) + " bytes");
    }
    if (len > reader_.remaining()) {
      return file_.Error(StatusCode::kDataLoss, field,
                         "string length " + std::to_string(len) + " runs past the end of the file");
    }
    reader_.ReadBytes(len, out);
    return Status::Ok();
  }

  Status ReadValue(std::string_view field, ValueType type, uint32_t depth, Value* out) {
    out->type = type;
    switch (type) {
      case ValueType::kUint8: return ReadScalar<uint8_t, uint64_t>(field, out);
      case ValueType::kInt8: return ReadScalar<int8_t, int64_t>(field, out);
      case ValueType::kUint16: return ReadScalar<uint16_t, uint64_t>(field, out);
      case ValueType::kInt16: return ReadScalar<int16_t, int64_t>(field, out);
      case ValueType::kUint32: return ReadScalar<uint32_t, uint64_t>(field, out);
      case ValueType::kInt32: return ReadScalar<int32_t, int64_t>(field, out);
      case ValueType::kUint64: return ReadScalar<uint64_t, uint64_t>(field, out);
      case ValueType::kInt64: return ReadScalar<int64_t, int64_t>(field, out);
      case ValueType::kFloat32: return ReadScalar<float, double>(field, out);
      case ValueType::kFloat64: return ReadScalar<double, double>(field, out);
      case ValueType::kBool: {
        uint8_t b = 0;
        if (!reader_.Read(&b)) return Truncated(field);
        if (b > 1) return file_.Error(StatusCode::kDataLoss, field, "bool value is not 0 or 1");
        out->data = b == 1;
        return Status::Ok();
      }
      case ValueType::kString: {
        std::string s;
        LOCAI_RETURN_IF_ERROR(ReadString(field, &s));
        out->data = std::move(s);
        return Status::Ok();
      }
      case ValueType::kArray:
        return ReadArray(field, depth, out);
    }
    return file_.Error(StatusCode::kDataLoss, field, "unknown value type");
  }

 private:
  template <typename Raw, typename Stored>
  Status ReadScalar(std::string_view field, Value* out) {
    Raw raw{};
    if (!reader_.Read(&raw)) return Truncated(field);
    out->data = static_cast<Stored>(raw);
    return Status::Ok();
  }

  Status ReadArray(std::string_view field, uint32_t depth, Value* out) {
    if (depth >= limits_.max_array_depth) {
      return file_.Error(StatusCode::kDataLoss, field, "arrays nested too deeply");
    }
    uint32_t raw_type = 0;
    uint64_t count = 0;
    if (!reader_.Read(&raw_type) || !reader_.Read(&count)) return Truncated(field);
    if (!IsKnownValueType(raw_type)) {
      return file_.Error(StatusCode::kDataLoss, field,
                         "unknown array element type " + std::to_string(raw_type));
    }
    const auto elem_type = static_cast<ValueType>(raw_type);
    // Every element takes at least MinEncodedSize bytes, so the count cannot exceed what is left.
    if (count > reader_.remaining() / MinEncodedSize(elem_type)) {
      return file_.Error(StatusCode::kDataLoss, field,
                         "array count " + std::to_string(count) + " runs past the end of the file");
    }
    Array array;
    array.element_type = elem_type;
    array.items.resize(count);
    for (uint64_t i = 0; i < count; ++i) {
      LOCAI_RETURN_IF_ERROR(ReadValue(field, elem_type, depth + 1, &array.items[i]));
    }
    out->data = std::move(array);
    return Status::Ok();
  }

  Status Truncated(std::string_view field) {
    return file_.Error(StatusCode::kDataLoss, field, "file truncated");
  }

  const GgufFile& file_;
  ByteReader& reader_;
  const ParseLimits& limits_;
};

}  // namespace

Status GgufFile::ParseAll(const ParseLimits& limits) {
  ByteReader reader(bytes_);
  ValueParser values(*this, reader, limits);
  uint32_t magic = 0;
  if (!reader.Read(&magic)) return Error(StatusCode::kDataLoss, "magic", "file truncated");
  if (magic != kMagic) return Error(StatusCode::kDataLoss, "magic", "not a GGUF file");
  if (!reader.Read(&version_)) return Error(StatusCode::kDataLoss, "version", "file truncated");
  if (version_ != 2 && version_ != 3) {
    return Error(StatusCode::kUnimplemented, "version",
                 "unsupported GGUF version " + std::to_string(version_) + " (2 and 3 are)");
  }
  uint64_t n_tensors = 0;
  uint64_t n_kv = 0;
  if (!reader.Read(&n_tensors)) return Error(StatusCode::kDataLoss, "tensor_count", "file truncated");
  if (!reader.Read(&n_kv)) return Error(StatusCode::kDataLoss, "metadata_kv_count", "file truncated");
  // A key-value pair takes at least 12 bytes and a tensor entry at least 24.
  if (n_kv > limits.max_kv || n_kv > reader.remaining() / 12) {
    return Error(StatusCode::kDataLoss, "metadata_kv_count",
                 "count " + std::to_string(n_kv) + " is larger than the file can hold");
  }
  if (n_tensors > limits.max_tensors || n_tensors > reader.remaining() / 24) {
    return Error(StatusCode::kDataLoss, "tensor_count",
                 "count " + std::to_string(n_tensors) + " is larger than the file can hold");
  }

  metadata_.reserve(n_kv);
  for (uint64_t i = 0; i < n_kv; ++i) {
    KeyValue kv;
    const std::string field = "metadata[" + std::to_string(i) + "]";
    LOCAI_RETURN_IF_ERROR(values.ReadString(field + ".key", &kv.key));
    uint32_t raw_type = 0;
    if (!reader.Read(&raw_type)) return Error(StatusCode::kDataLoss, kv.key, "file truncated");
    if (!IsKnownValueType(raw_type)) {
      return Error(StatusCode::kDataLoss, kv.key,
                   "unknown value type " + std::to_string(raw_type));
    }
    LOCAI_RETURN_IF_ERROR(values.ReadValue(kv.key, static_cast<ValueType>(raw_type), 0, &kv.value));
    if (Find(kv.key) != nullptr) return Error(StatusCode::kDataLoss, kv.key, "duplicate key");
    metadata_.push_back(std::move(kv));
  }

  if (const Value* align = Find("general.alignment")) {
    auto v = align->AsInt();
    if (!align->is_integer() || !v || *v <= 0 || *v > static_cast<int64_t>(kMaxAlignment) ||
        (*v & (*v - 1)) != 0) {
      return Error(StatusCode::kDataLoss, "general.alignment",
                   "must be a power of two between 1 and 65536");
    }
    alignment_ = static_cast<uint64_t>(*v);
  }

  tensors_.reserve(n_tensors);
  for (uint64_t i = 0; i < n_tensors; ++i) {
    TensorInfo info;
    LOCAI_RETURN_IF_ERROR(values.ReadString("tensor[" + std::to_string(i) + "].name", &info.name));
    const std::string& field = info.name;
    uint32_t n_dims = 0;
    if (!reader.Read(&n_dims)) return Error(StatusCode::kDataLoss, field, "file truncated");
    if (n_dims == 0 || n_dims > limits.max_dims) {
      return Error(StatusCode::kDataLoss, field,
                   "dimension count " + std::to_string(n_dims) + " is not between 1 and " +
                       std::to_string(limits.max_dims));
    }
    uint64_t n_elements = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      uint64_t dim = 0;
      if (!reader.Read(&dim)) return Error(StatusCode::kDataLoss, field, "file truncated");
      if (dim == 0 || dim > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ||
          n_elements > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / dim) {
        return Error(StatusCode::kDataLoss, field,
                     "dimension " + std::to_string(d) + " = " + std::to_string(dim) +
                         " is zero or makes the element count overflow");
      }
      n_elements *= dim;
      info.dims.push_back(static_cast<int64_t>(dim));
    }
    uint32_t raw_type = 0;
    if (!reader.Read(&raw_type) || !reader.Read(&info.offset)) {
      return Error(StatusCode::kDataLoss, field, "file truncated");
    }
    auto type = TensorTypeFromId(raw_type);
    if (!type) {
      return Error(StatusCode::kUnimplemented, field,
                   "unknown tensor type " + std::to_string(raw_type));
    }
    info.type = *type;
    info.n_elements = static_cast<int64_t>(n_elements);
    auto row_bytes = RowBytes(info.type, static_cast<uint64_t>(info.dims[0]));
    if (!row_bytes) {
      return Error(StatusCode::kDataLoss, field,
                   "row of " + std::to_string(info.dims[0]) + " elements is not a whole number of " +
                       std::string(Traits(info.type).name) + " blocks");
    }
    const uint64_t rows = n_elements / static_cast<uint64_t>(info.dims[0]);
    if (*row_bytes != 0 && rows > std::numeric_limits<uint64_t>::max() / *row_bytes) {
      return Error(StatusCode::kDataLoss, field, "tensor size overflows");
    }
    info.size_bytes = *row_bytes * rows;
    if (info.offset % alignment_ != 0) {
      return Error(StatusCode::kDataLoss, field,
                   "offset " + std::to_string(info.offset) + " is not aligned to " +
                       std::to_string(alignment_));
    }
    if (FindTensor(info.name) != nullptr) {
      return Error(StatusCode::kDataLoss, field, "duplicate tensor name");
    }
    tensors_.push_back(std::move(info));
  }

  // The data section starts at the next multiple of the alignment.
  const uint64_t header_end = reader.offset();
  data_offset_ = (header_end + alignment_ - 1) / alignment_ * alignment_;
  if (n_tensors > 0 && data_offset_ > bytes_.size()) {
    return Error(StatusCode::kDataLoss, "data", "file truncated before the tensor data");
  }
  const uint64_t data_size = bytes_.size() - std::min<uint64_t>(data_offset_, bytes_.size());
  for (auto& info : tensors_) {
    if (info.offset > data_size || info.size_bytes > data_size - info.offset) {
      return Error(StatusCode::kDataLoss, info.name,
                   "data (offset " + std::to_string(info.offset) + ", " +
                       std::to_string(info.size_bytes) + " bytes) ends past the end of the file");
    }
    info.data = bytes_.data() + data_offset_ + info.offset;
  }
  return Status::Ok();
}

const Value* GgufFile::Find(std::string_view key) const {
  for (const auto& kv : metadata_) {
    if (kv.key == key) return &kv.value;
  }
  return nullptr;
}

const TensorInfo* GgufFile::FindTensor(std::string_view name) const {
  for (const auto& t : tensors_) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

Result<std::string> GgufFile::GetString(std::string_view key) const {
  const Value* v = Find(key);
  if (v == nullptr) return Err(Error(StatusCode::kNotFound, key, "required key is missing"));
  if (!v->is_string()) {
    return Err(Error(StatusCode::kDataLoss, key,
                     "expected a string, found " + std::string(ValueTypeName(v->type))));
  }
  return *v->AsString();
}

Result<int64_t> GgufFile::GetInt(std::string_view key) const {
  const Value* v = Find(key);
  if (v == nullptr) return Err(Error(StatusCode::kNotFound, key, "required key is missing"));
  auto i = v->AsInt();
  if (!v->is_integer() || !i) {
    return Err(Error(StatusCode::kDataLoss, key,
                     "expected an integer, found " + std::string(ValueTypeName(v->type))));
  }
  return *i;
}

Result<double> GgufFile::GetFloat(std::string_view key) const {
  const Value* v = Find(key);
  if (v == nullptr) return Err(Error(StatusCode::kNotFound, key, "required key is missing"));
  auto f = v->AsFloat();
  if (!f) {
    return Err(Error(StatusCode::kDataLoss, key,
                     "expected a number, found " + std::string(ValueTypeName(v->type))));
  }
  return *f;
}

Result<bool> GgufFile::GetBool(std::string_view key) const {
  const Value* v = Find(key);
  if (v == nullptr) return Err(Error(StatusCode::kNotFound, key, "required key is missing"));
  const bool* b = std::get_if<bool>(&v->data);
  if (b == nullptr) {
    return Err(Error(StatusCode::kDataLoss, key,
                     "expected a bool, found " + std::string(ValueTypeName(v->type))));
  }
  return *b;
}

Result<const Array*> GgufFile::GetArray(std::string_view key) const {
  const Value* v = Find(key);
  if (v == nullptr) return Err(Error(StatusCode::kNotFound, key, "required key is missing"));
  if (!v->is_array()) {
    return Err(Error(StatusCode::kDataLoss, key,
                     "expected an array, found " + std::string(ValueTypeName(v->type))));
  }
  return v->AsArray();
}

Result<int64_t> GgufFile::GetIntOr(std::string_view key, int64_t fallback) const {
  if (Find(key) == nullptr) return fallback;
  return GetInt(key);
}

Result<double> GgufFile::GetFloatOr(std::string_view key, double fallback) const {
  if (Find(key) == nullptr) return fallback;
  return GetFloat(key);
}

Result<bool> GgufFile::GetBoolOr(std::string_view key, bool fallback) const {
  if (Find(key) == nullptr) return fallback;
  return GetBool(key);
}

Result<std::string> GgufFile::GetStringOr(std::string_view key, std::string fallback) const {
  if (Find(key) == nullptr) return fallback;
  return GetString(key);
}

}  // namespace locai::engine::gguf
