#include "tpp/models/poisson.h"

#include <gtest/gtest.h>

#include <cmath>

#include "../test_support.h"
#include "tpp/core/error.h"
#include "tpp/models/registry.h"

namespace tpp {

TEST(Poisson, ExactAndNumericLikelihoodMatchClosedForm) {
  auto d = testing::make_dataset(2, {{{0.5, 0}, {1.0, 1}, {2.0, 1}}, {{0.3, 0}}}, {4.0, 1.0});
  Schema schema = d.schema;
  auto model = ModelRegistry::instance().create({{"model", "poisson"}, {"rate", {0.5, 2.0}}}, schema);
  Batch b = make_batch(d, Context{});
  double seq0 = std::log(0.5) + 2 * std::log(2.0) - 2.5 * 4.0;
  double seq1 = std::log(0.5) - 2.5 * 1.0;
  for (auto method : {IntegralOptions::Method::Exact, IntegralOptions::Method::GaussLegendre}) {
    auto ll = model->log_likelihood(b, {method, 8});
    EXPECT_NEAR(ll[0].item<double>(), seq0, 1e-12);
    EXPECT_NEAR(ll[1].item<double>(), seq1, 1e-12);
  }
}

TEST(Poisson, SaveLoadRoundTripIsBitIdentical) {
  testing::TempDir dir;
  auto d = testing::make_dataset(2, {{{0.5, 0}}}, {1.0});
  auto model = ModelRegistry::instance().create({{"model", "poisson"}, {"rate", {0.25, 3.0}}}, d.schema);
  TimeScale scale{10.0, 0.5};
  save_model(dir.file("m.tpp"), model, d.schema, scale);
  auto loaded = load_model(dir.file("m.tpp"), Context{});
  EXPECT_TRUE(torch::equal(model->parameters()[0], loaded.model->parameters()[0]));
  EXPECT_EQ(loaded.time_scale.offset, 10.0);
  EXPECT_EQ(loaded.schema.num_action_types, 2);
}

TEST(Registry, UnknownModelNamesTheKnownOnes) {
  Schema s;
  s.num_action_types = 1;
  try {
    ModelRegistry::instance().create({{"model", "nope"}}, s);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("poisson"), std::string::npos);
  }
}

TEST(Registry, MisspeltSettingIsAnErrorNamingTheKnownOnes) {
  Schema s;
  s.num_action_types = 2;
  for (const std::string& name : ModelRegistry::instance().names()) {
    // Every model accepts its own config back, and "train" (the trainer's block) beside it.
    auto model = ModelRegistry::instance().create({{"model", name}}, s);
    auto own = model->config();
    own["train"] = {{"epochs", 1}};
    EXPECT_NO_THROW(ModelRegistry::instance().create(own, s)) << name;
    try {
      ModelRegistry::instance().create({{"model", name}, {"hiden", 3}}, s);
      ADD_FAILURE() << name << " accepted an unknown field";
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("\"hiden\""), std::string::npos) << what;
      EXPECT_NE(what.find("known:"), std::string::npos) << what;
    }
  }
}

}  // namespace tpp
