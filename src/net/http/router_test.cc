#include "net/http/router.h"

#include <gtest/gtest.h>

namespace locai::net {
namespace {

Handler Tagged(int tag, int* hit) {
  return [tag, hit](HttpRequest, std::shared_ptr<ResponseWriter>) { *hit = tag; };
}

TEST(RouterTest, MatchesLiteralsAndParameters) {
  int hit = 0;
  Router router;
  ASSERT_TRUE(router.Add("GET", "/v1/models", Tagged(1, &hit)).ok());
  ASSERT_TRUE(router.Add("GET", "/v1/models/{id}", Tagged(2, &hit)).ok());
  ASSERT_TRUE(router.Add("POST", "/v1/chat/completions", Tagged(3, &hit)).ok());
  ASSERT_TRUE(router.Add("GET", "/files/{dir}/{name}", Tagged(4, &hit)).ok());
  ASSERT_TRUE(router.Add("GET", "/", Tagged(5, &hit)).ok());

  Router::Match m = router.Find("GET", "/v1/models");
  ASSERT_EQ(m.kind, Router::MatchKind::kFound);
  (*m.handler)(HttpRequest{}, nullptr);
  EXPECT_EQ(hit, 1);

  m = router.Find("GET", "/v1/models/llama%2F3");
  ASSERT_EQ(m.kind, Router::MatchKind::kFound);
  (*m.handler)(HttpRequest{}, nullptr);
  EXPECT_EQ(hit, 2);
  EXPECT_EQ(m.path_params.at("id"), "llama/3");

  m = router.Find("GET", "/files/a/b");
  ASSERT_EQ(m.kind, Router::MatchKind::kFound);
  EXPECT_EQ(m.path_params.at("dir"), "a");
  EXPECT_EQ(m.path_params.at("name"), "b");

  m = router.Find("GET", "/");
  ASSERT_EQ(m.kind, Router::MatchKind::kFound);
  (*m.handler)(HttpRequest{}, nullptr);
  EXPECT_EQ(hit, 5);

  EXPECT_EQ(router.Find("GET", "/v1/models/").kind, Router::MatchKind::kNotFound);
  EXPECT_EQ(router.Find("GET", "/v1/models/a/b").kind, Router::MatchKind::kNotFound);
  EXPECT_EQ(router.Find("GET", "/v2").kind, Router::MatchKind::kNotFound);
  EXPECT_EQ(router.Find("GET", "/v1/modelsx").kind, Router::MatchKind::kNotFound);
}

TEST(RouterTest, MethodNotAllowedListsMethods) {
  int hit = 0;
  Router router;
  ASSERT_TRUE(router.Add("POST", "/v1/messages", Tagged(1, &hit)).ok());
  ASSERT_TRUE(router.Add("PUT", "/v1/messages", Tagged(2, &hit)).ok());
  Router::Match m = router.Find("GET", "/v1/messages");
  EXPECT_EQ(m.kind, Router::MatchKind::kMethodNotAllowed);
  EXPECT_EQ(m.allowed_methods, (std::vector<std::string>{"POST", "PUT"}));
}

TEST(RouterTest, RestParameterTakesTheRemainder) {
  int hit = 0;
  Router router;
  ASSERT_TRUE(router.Add("GET", "/v1/models/{id...}", Tagged(1, &hit)).ok());
  Router::Match m = router.Find("GET", "/v1/models/org/model-7b");
  ASSERT_EQ(m.kind, Router::MatchKind::kFound);
  EXPECT_EQ(m.path_params.at("id"), "org/model-7b");
  EXPECT_EQ(router.Find("GET", "/v1/models/").kind, Router::MatchKind::kNotFound);
  EXPECT_EQ(router.Find("GET", "/v1/models").kind, Router::MatchKind::kNotFound);
}

TEST(RouterTest, FirstAddedRouteWins) {
  int hit = 0;
  Router router;
  ASSERT_TRUE(router.Add("GET", "/v1/models/default", Tagged(1, &hit)).ok());
  ASSERT_TRUE(router.Add("GET", "/v1/models/{id}", Tagged(2, &hit)).ok());
  Router::Match m = router.Find("GET", "/v1/models/default");
  (*m.handler)(HttpRequest{}, nullptr);
  EXPECT_EQ(hit, 1);
}

TEST(RouterTest, RejectsBadPatterns) {
  Router router;
  auto noop = [](HttpRequest, std::shared_ptr<ResponseWriter>) {};
  EXPECT_FALSE(router.Add("GET", "v1", noop).ok());
  EXPECT_FALSE(router.Add("GET", "/a/{", noop).ok());
  EXPECT_FALSE(router.Add("GET", "/a/{}", noop).ok());
  EXPECT_FALSE(router.Add("GET", "/a/{x}y", noop).ok());
  EXPECT_FALSE(router.Add("GET", "/a/{x...}/b", noop).ok());
  EXPECT_FALSE(router.Add("", "/a", noop).ok());
  EXPECT_FALSE(router.Add("GET", "/a", Handler()).ok());
  EXPECT_EQ(router.size(), 0u);
}

}  // namespace
}  // namespace locai::net
