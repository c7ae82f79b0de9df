#include "control/metering/plans.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace locai::control::metering {
namespace {

TEST(PlansTest, DefaultCatalogIsThePriceList) {
  auto catalog = LoadPlanCatalog(DefaultPlansJson());
  ASSERT_TRUE(catalog) << catalog.error().ToString();
  EXPECT_EQ(catalog->default_plan(), "developer");

  Plan developer = catalog->Find("developer").value();
  EXPECT_EQ(developer.display_name, "Developer");
  EXPECT_EQ(developer.monthly_fee_micro_gbp, 0);
  EXPECT_EQ(developer.max_nodes, 2);
  EXPECT_EQ(developer.max_registry_bytes, 5'000'000'000);
  EXPECT_EQ(developer.max_egress_bytes, 10'000'000'000);
  EXPECT_FALSE(developer.bills_overage);

  Plan starter = catalog->Find("starter").value();
  EXPECT_EQ(starter.monthly_fee_micro_gbp, 35'000'000);
  EXPECT_EQ(starter.max_nodes, 15);
  EXPECT_EQ(starter.max_registry_bytes, 50'000'000'000);
  EXPECT_EQ(starter.max_egress_bytes, 100'000'000'000);
  EXPECT_EQ(starter.trial_days, 30);

  Plan payg = catalog->Find("payg").value();
  EXPECT_EQ(payg.display_name, "Pay-as-you-go");
  EXPECT_EQ(payg.per_node_micro_gbp, 5'000'000);
  EXPECT_EQ(payg.per_gb_month_micro_gbp, 50'000);
  EXPECT_EQ(payg.per_egress_gb_micro_gbp, 140'000);
  EXPECT_FALSE(payg.max_nodes.has_value());
  EXPECT_TRUE(payg.bills_overage);

  EXPECT_TRUE(catalog->Find("enterprise"));
  auto missing = catalog->Find("platinum");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.error().message().find("developer"), std::string::npos);
}

// The compiled-in text is the file in the source tree, byte for byte.
TEST(PlansTest, DefaultJsonIsGeneratedFromPlansJson) {
  std::ifstream file(LOCAI_TEST_DATA_DIR "/../plans.json");
  ASSERT_TRUE(file.good());
  std::stringstream text;
  text << file.rdbuf();
  EXPECT_EQ(text.str(), DefaultPlansJson());
}

TEST(PlansTest, EnterpriseOverridesPerOrg) {
  auto catalog = LoadPlanCatalog(R"({
    "plans": [{"name": "developer", "max_nodes": 2},
              {"name": "enterprise", "display_name": "Enterprise", "per_node_gbp": 5,
               "bills_overage": true}],
    "org_overrides": {"org_big": {"plan": "enterprise", "max_nodes": 500, "per_node_gbp": "4.5",
                                  "max_egress_gb": null}}
  })");
  ASSERT_TRUE(catalog) << catalog.error().ToString();
  Plan big = catalog->ForOrg("org_big", "developer").value();
  EXPECT_EQ(big.name, "enterprise");
  EXPECT_EQ(big.max_nodes, 500);
  EXPECT_EQ(big.per_node_micro_gbp, 4'500'000);
  Plan other = catalog->ForOrg("org_small", "").value();
  EXPECT_EQ(other.name, "developer");
  EXPECT_EQ(other.max_nodes, 2);

  auto custom = ApplyPlanOverrides(other, R"({"max_registry_gb": 7.5, "bills_overage": true})");
  ASSERT_TRUE(custom);
  EXPECT_EQ(custom->max_registry_bytes, 7'500'000'000);
  EXPECT_TRUE(custom->bills_overage);
  EXPECT_FALSE(ApplyPlanOverrides(other, R"({"name": "x"})"));
  EXPECT_FALSE(ApplyPlanOverrides(other, R"({"max_nodes": -1})"));
  EXPECT_FALSE(ApplyPlanOverrides(other, "not json"));
}

TEST(PlansTest, RefusesBadConfiguration) {
  const char* bad[] = {
      "",
      "[]",
      R"({"plans": []})",
      R"({"plans": [{"display_name": "no name"}]})",
      R"({"plans": [{"name": "a", "max_nodez": 3}]})",
      R"({"plans": [{"name": "a", "per_node_gbp": -5}]})",
      R"({"plans": [{"name": "a", "per_node_gbp": 0.0000001}]})",
      R"({"plans": [{"name": "a", "max_nodes": 2.5}]})",
      R"({"plans": [{"name": "a", "bills_overage": "yes"}]})",
      R"({"plans": [{"name": "a"}, {"name": "a"}]})",
      R"({"plans": [{"name": "a"}], "default_plan": "b"})",
      R"({"plans": [{"name": "a"}], "currency": "EUR"})",
      R"({"plans": [{"name": "a"}], "org_overrides": {"o": {"plan": "zzz"}}})",
      R"({"plans": [{"name": "a"}], "org_overrides": {"o": {"max_nodes": "many"}}})",
      R"({"plans": [{"name": "a"}], "extra": 1})",
  };
  for (const char* text : bad) {
    auto catalog = LoadPlanCatalog(text);
    EXPECT_FALSE(catalog) << text;
    if (!catalog) {
      EXPECT_EQ(catalog.error().code(), StatusCode::kInvalidArgument) << text;
    }
  }
}

TEST(PlansTest, EnforcedLimitsDropWhenOverageIsBilled) {
  Plan plan;
  plan.max_nodes = 3;
  plan.max_registry_bytes = 10;
  plan.max_egress_bytes = 20;
  EXPECT_EQ(EnforcedNodeLimit(plan), 3);
  EXPECT_EQ(EnforcedRegistryLimit(plan), 10);
  EXPECT_EQ(EnforcedEgressLimit(plan), 20);
  plan.bills_overage = true;
  EXPECT_FALSE(EnforcedNodeLimit(plan));
  EXPECT_FALSE(EnforcedRegistryLimit(plan));
  EXPECT_FALSE(EnforcedEgressLimit(plan));
}

}  // namespace
}  // namespace locai::control::metering
