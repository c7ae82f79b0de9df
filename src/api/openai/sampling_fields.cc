#include "api/openai/sampling_fields.h"

#include <charconv>
#include <limits>
#include <string>

namespace locai::api::openai {
namespace {

constexpr size_t kMaxStopSequences = 4;

void ReadStop(ObjectReader& reader, GenerationRequest& request) {
  const Json* stop = reader.Find("stop");
  if (stop == nullptr) return;
  if (stop->is_string()) {
    if (!stop->get_ref<const std::string&>().empty()) {
      request.stop.push_back(stop->get<std::string>());
    }
    return;
  }
  if (!stop->is_array()) {
    reader.TypeError("stop", "a string or an array of strings", *stop);
    return;
  }
  if (stop->size() > kMaxStopSequences) {
    reader.ValueError("stop", "at most 4 stop sequences are allowed.");
    return;
  }
  ParseErrors& errors = reader.errors();
  for (size_t i = 0; i < stop->size(); ++i) {
    const Json& item = (*stop)[i];
    if (!item.is_string()) {
      std::string param = errors.Index(reader.PathOf("stop"), i);
      errors.Fail(param, "Invalid type for '" + param + "': expected a string, but got " +
                             DescribeJsonType(item) + " instead.");
      return;
    }
    if (!item.get_ref<const std::string&>().empty())
      request.stop.push_back(item.get<std::string>());
  }
}

void ReadLogitBias(ObjectReader& reader, GenerationRequest& request) {
  const Json* bias = reader.Object("logit_bias");
  if (bias == nullptr) return;
  for (const auto& [key, value] : bias->items()) {
    int64_t token = -1;
    const char* begin = key.data();
    const char* end = key.data() + key.size();
    auto [ptr, ec] = std::from_chars(begin, end, token);
    if (ec != std::errc() || ptr != end || token < 0 ||
        token > std::numeric_limits<int32_t>::max()) {
      reader.errors().Fail("logit_bias", "Invalid key in 'logit_bias': '" + key +
                                             "'. Keys must be non-negative integer token ids.");
      return;
    }
    if (!value.is_number() || !(value.get<double>() >= -100.0 && value.get<double>() <= 100.0)) {
      reader.errors().Fail("logit_bias", "Invalid value in 'logit_bias' for token " + key +
                                             ": biases must be numbers between -100 and 100.");
      return;
    }
    request.sampling.logit_bias.emplace_back(static_cast<int32_t>(token),
                                             static_cast<float>(value.get<double>()));
  }
}

}  // namespace

std::optional<int64_t> ReadTokenLimit(ObjectReader& reader, std::string_view key, bool allow_zero) {
  return reader.Integer(key, allow_zero ? 0 : 1, std::numeric_limits<int64_t>::max());
}

void ReadSharedFields(ObjectReader& reader, GenerationRequest& request) {
  if (reader.Require("model")) {
    if (auto model = reader.String("model")) request.model = std::move(*model);
  }
  request.sampling.temperature = reader.Number("temperature", 0.0, 2.0);
  request.sampling.top_p = reader.Number("top_p", 0.0, 1.0);
  request.sampling.seed = reader.Integer("seed", std::numeric_limits<int64_t>::min(),
                                         std::numeric_limits<int64_t>::max());
  request.sampling.presence_penalty = reader.Number("presence_penalty", -2.0, 2.0).value_or(0.0);
  request.sampling.frequency_penalty = reader.Number("frequency_penalty", -2.0, 2.0).value_or(0.0);
  ReadLogitBias(reader, request);
  ReadStop(reader, request);
  if (const Json* n = reader.Find("n")) {
    if (!n->is_number()) {
      reader.TypeError("n", "an integer", *n);
    } else if (IntegerValue(*n, 1, 1) != 1) {
      reader.ValueError("n", "only n=1 is supported.");
    }
  }
  if (auto user = reader.String("user")) request.user = std::move(*user);
  request.stream = reader.Bool("stream").value_or(false);
  if (const Json* options = reader.Object("stream_options")) {
    if (!request.stream) {
      reader.errors().Fail("stream_options",
                           "The 'stream_options' parameter is only allowed when 'stream' is "
                           "enabled.");
      return;
    }
    ObjectReader options_reader(*options, reader.PathOf("stream_options"), reader.errors());
    request.include_usage = options_reader.Bool("include_usage").value_or(false);
  }
}

}  // namespace locai::api::openai
