#include "net/http/http_message.h"

#include <gtest/gtest.h>

#include "net/http/error_renderer.h"
#include "net/http/url.h"
#include "net/http/wire_format.h"

namespace locai::net {
namespace {

TEST(HttpHeadersTest, LookupIgnoresCase) {
  HttpHeaders headers;
  headers.Add("Content-Type", "application/json");
  headers.Add("X-Thing", "1");
  headers.Add("x-thing", "2");
  EXPECT_EQ(headers.Get("content-type"), "application/json");
  EXPECT_EQ(headers.Get("X-THING"), "1");
  EXPECT_FALSE(headers.Get("missing").has_value());
  EXPECT_EQ(headers.GetOr("missing", "d"), "d");
  headers.Set("X-Thing", "3");
  EXPECT_EQ(headers.size(), 2u);
  EXPECT_EQ(headers.Get("x-thing"), "3");
  headers.Remove("CONTENT-TYPE");
  EXPECT_FALSE(headers.Has("Content-Type"));
}

TEST(ParseTargetTest, DecodesPathAndQuery) {
  std::string path;
  std::map<std::string, std::string> query;
  ASSERT_TRUE(ParseTarget("/v1/models/a%20b?x=1&y=hello+world&z=%26&flag", &path, &query));
  EXPECT_EQ(path, "/v1/models/a b");
  EXPECT_EQ(query["x"], "1");
  EXPECT_EQ(query["y"], "hello world");
  EXPECT_EQ(query["z"], "&");
  EXPECT_EQ(query["flag"], "");
  EXPECT_FALSE(ParseTarget("v1/models", &path, &query));
  EXPECT_FALSE(ParseTarget("/bad%2", &path, &query));
  EXPECT_FALSE(ParseTarget("/bad%zz", &path, &query));
  EXPECT_FALSE(ParseTarget("http://host/x", &path, &query));
}

TEST(WireFormatTest, SerializesHeadWithFramingAndDropsUnsafeFields) {
  HttpHeaders headers;
  headers.Set("Content-Type", "text/plain");
  headers.Set("Content-Length", "999");  // owned by the framing: replaced
  headers.Set("X-Evil", "a\r\nSet-Cookie: x");
  ResponseHead head;
  head.status = 404;
  head.headers = &headers;
  head.content_length = 5;
  head.server_name = "locai";
  head.request_id = "req_1";
  std::string text = SerializeResponseHead(head);
  EXPECT_EQ(text,
            "HTTP/1.1 404 Not Found\r\nServer: locai\r\nContent-Type: text/plain\r\n"
            "X-Request-Id: req_1\r\nContent-Length: 5\r\n\r\n");
  head.framing = BodyFraming::kChunked;
  head.close = true;
  head.request_id = "";
  text = SerializeResponseHead(head);
  EXPECT_NE(text.find("Transfer-Encoding: chunked\r\n"), std::string::npos);
  EXPECT_NE(text.find("Connection: close\r\n"), std::string::npos);
  EXPECT_EQ(text.find("Content-Length"), std::string::npos);
}

TEST(WireFormatTest, EncodesChunks) {
  EXPECT_EQ(EncodeChunk("hello"), "5\r\nhello\r\n");
  EXPECT_EQ(EncodeChunk(std::string(26, 'x')), "1a\r\n" + std::string(26, 'x') + "\r\n");
  EXPECT_EQ(EncodeChunk(""), "");
  EXPECT_EQ(LastChunk(), "0\r\n\r\n");
}

TEST(ErrorRendererTest, DefaultIsJsonWithTypeByStatus) {
  RenderedError e = DefaultErrorRenderer(404, "no \"model\"\n");
  EXPECT_EQ(e.content_type, "application/json");
  EXPECT_EQ(e.body, R"({"error":{"message":"no \"model\"\n","type":"not_found_error"}})");
  EXPECT_EQ(DefaultErrorType(400), "invalid_request_error");
  EXPECT_EQ(DefaultErrorType(413), "request_too_large");
  EXPECT_EQ(DefaultErrorType(431), "invalid_request_error");
  EXPECT_EQ(DefaultErrorType(500), "api_error");
  EXPECT_EQ(DefaultErrorType(503), "overloaded_error");
  EXPECT_EQ(JsonQuote(std::string("\x01", 1)), "\"\\u0001\"");
}

TEST(UrlTest, ParsesHttpUrls) {
  Result<Url> url = ParseUrl("http://example.com:8080/v1/chat?x=1#frag");
  ASSERT_TRUE(url.has_value());
  EXPECT_EQ(url->scheme, "http");
  EXPECT_EQ(url->host, "example.com");
  EXPECT_EQ(url->port, 8080);
  EXPECT_EQ(url->target, "/v1/chat?x=1");
  url = ParseUrl("HTTPS://[::1]");
  ASSERT_TRUE(url.has_value());
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, 443);
  EXPECT_EQ(url->target, "/");
  EXPECT_EQ(url->Authority(), "[::1]:443");
  url = ParseUrl("http://h?q=1");
  ASSERT_TRUE(url.has_value());
  EXPECT_EQ(url->target, "/?q=1");
  EXPECT_FALSE(ParseUrl("ftp://x/").has_value());
  EXPECT_FALSE(ParseUrl("http://:80/").has_value());
  EXPECT_FALSE(ParseUrl("http://h:99999/").has_value());
  EXPECT_FALSE(ParseUrl("http://user@h/").has_value());
  EXPECT_FALSE(ParseUrl("example.com").has_value());
}

}  // namespace
}  // namespace locai::net
