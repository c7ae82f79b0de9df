// Tool-calling templates (Qwen 2.5, Llama 3.1) with tools and tool calls in the context, which
// ApplyChatTemplate's plain messages cannot carry: the context is built by hand here. Expected
// texts were checked against Python Jinja2 configured as Hugging Face configures it.
#include <gtest/gtest.h>

#include <string>

#include "engine/chat_template/chat_template.h"
#include "engine/chat_template/test_cases.h"

namespace locai::engine {
namespace {

TemplateValue ToolContext(const std::string& bos_token) {
  TemplateValue parameters = TemplateValue::Object(
      {{"type", TemplateValue("object")},
       {"properties", TemplateValue::Object(
                          {{"city", TemplateValue::Object({{"type", TemplateValue("string")}})}})},
       {"required", TemplateValue::Array({TemplateValue("city")})}});
  TemplateValue tool = TemplateValue::Object(
      {{"type", TemplateValue("function")},
       {"function", TemplateValue::Object({{"name", TemplateValue("get_weather")},
                                           {"description", TemplateValue("Get the weather")},
                                           {"parameters", parameters}})}});
  TemplateValue call = TemplateValue::Object(
      {{"type", TemplateValue("function")},
       {"function",
        TemplateValue::Object(
            {{"name", TemplateValue("get_weather")},
             {"arguments", TemplateValue::Object({{"city", TemplateValue("Paris")}})}})}});
  auto message = [](const char* role, const char* content) {
    return TemplateValue::Object(
        {{"role", TemplateValue(role)}, {"content", TemplateValue(content)}});
  };
  TemplateValue assistant = message("assistant", "");
  assistant.Set("tool_calls", TemplateValue::Array({call}));
  return TemplateValue::Object(
      {{"messages", TemplateValue::Array({message("system", "You are a bot."),
                                          message("user", "Weather in Paris?"), assistant,
                                          message("tool", "{\"temp\": 21}")})},
       {"tools", TemplateValue::Array({tool})},
       {"add_generation_prompt", TemplateValue(true)},
       {"bos_token", TemplateValue(bos_token)}});
}

Result<std::string> RenderFile(const std::string& name, const TemplateValue& context) {
  const std::string source =
      testing::ReadTextFile(std::string(LOCAI_TEST_DATA_DIR) + "/templates/" + name);
  auto tmpl = ChatTemplate::Parse(source);
  if (!tmpl) return Err(tmpl.error());
  return tmpl->Render(context);
}

TEST(ToolTemplateTest, Qwen25ToolsAndToolCalls) {
  auto out = RenderFile("qwen2.5.jinja", ToolContext(""));
  ASSERT_TRUE(out) << out.error().ToString();
  EXPECT_EQ(*out,
            "<|im_start|>system\nYou are a bot.\n\n# Tools\n\nYou may call one or more functions "
            "to assist with the user query.\n\nYou are provided with function signatures within "
            "<tools></tools> XML tags:\n<tools>\n{\"type\": \"function\", \"function\": {\"name\": "
            "\"get_weather\", \"description\": \"Get the weather\", \"parameters\": {\"type\": "
            "\"object\", \"properties\": {\"city\": {\"type\": \"string\"}}, \"required\": "
            "[\"city\"]}}}\n</tools>\n\nFor each function call, return a json object with function "
            "name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": "
            "<function-name>, \"arguments\": "
            "<args-json-object>}\n</tool_call><|im_end|>\n<|im_start|>user\nWeather in "
            "Paris?<|im_end|>\n<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_weather\", "
            "\"arguments\": {\"city\": "
            "\"Paris\"}}\n</tool_call><|im_end|>\n<|im_start|>user\n<tool_response>\n{\"temp\": "
            "21}\n</tool_response><|im_end|>\n<|im_start|>assistant\n");
}

TEST(ToolTemplateTest, Llama31ToolsInFirstUserMessage) {
  auto out = RenderFile("llama3.1.jinja", ToolContext("<|begin_of_text|>"));
  ASSERT_TRUE(out) << out.error().ToString();
  EXPECT_EQ(
      *out,
      "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nEnvironment: "
      "ipython\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\nYou are a "
      "bot.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nGiven the following functions, "
      "please respond with a JSON for a function call with its proper arguments that best answers "
      "the given prompt.\n\nRespond in the format {\"name\": function name, \"parameters\": "
      "dictionary of argument name and its value}.Do not use variables.\n\n{\n    \"type\": "
      "\"function\",\n    \"function\": {\n        \"name\": \"get_weather\",\n        "
      "\"description\": \"Get the weather\",\n        \"parameters\": {\n            \"type\": "
      "\"object\",\n            \"properties\": {\n                \"city\": {\n                   "
      " \"type\": \"string\"\n                }\n            },\n            \"required\": [\n     "
      "           \"city\"\n            ]\n        }\n    }\n}\n\nWeather in "
      "Paris?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n{\"name\": "
      "\"get_weather\", \"parameters\": {\"city\": "
      "\"Paris\"}}<|eot_id|><|start_header_id|>ipython<|end_header_id|>\n\n\"{\\\"temp\\\": "
      "21}\"<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
}

TEST(ToolTemplateTest, Llama31RefusesParallelToolCalls) {
  TemplateValue context = ToolContext("");
  TemplateValue messages = *context.Find("messages");
  TemplateValue assistant = messages.AsArray()[2];
  TemplateValue calls = *assistant.Find("tool_calls");
  assistant.Set("tool_calls", TemplateValue::Array({calls.AsArray()[0], calls.AsArray()[0]}));
  auto out = RenderFile("llama3.1.jinja", context);
  ASSERT_FALSE(out);
  EXPECT_NE(out.error().message().find("This model only supports single tool-calls at once!"),
            std::string::npos)
      << out.error().ToString();
}

}  // namespace
}  // namespace locai::engine
