#include "tpp/infer/next_event.h"

#include <gtest/gtest.h>

#include <cmath>

#include "../test_support.h"
#include "tpp/core/error.h"
#include "tpp/models/registry.h"

namespace tpp {

namespace {

// A Poisson process with rates 0.5 ("view") and 1.5 ("buy"): the next event comes after an
// Exp(2) gap, whatever the history, and is "buy" with probability 3/4.
struct PoissonCase {
  Dataset data = testing::make_dataset(2, {{{0.5, 0}, {1.25, 1}}, {{0.2, 1}}}, {1.25, 3.0});
  Predictor predictor{[this] {
    data.schema.action_names = {"view", "buy"};
    SavedModel saved;
    saved.schema = data.schema;
    saved.model = ModelRegistry::instance().create({{"model", "poisson"}, {"rate", {0.5, 1.5}}}, data.schema);
    saved.config = saved.model->config();
    return saved;
  }(), Context{}};
};

}  // namespace

TEST(NextEvent, PoissonMeanMedianAndTypesAreTheClosedForms) {
  PoissonCase c;
  PredictOptions options;
  options.top_k = 2;
  const NextEvent next = predict_user_next_event(c.predictor, c.data, "u0", options);
  EXPECT_EQ(next.user, "u0");
  EXPECT_EQ(next.actions, 2u);
  EXPECT_DOUBLE_EQ(next.last_time, 1.25);
  EXPECT_EQ(next.last_type, "buy");
  EXPECT_NEAR(next.expected_time, 1.25 + 0.5, 1e-8);
  EXPECT_NEAR(next.median_time, 1.25 + std::log(2.0) / 2, 1e-8);
  ASSERT_EQ(next.top_types.size(), 2u);
  EXPECT_EQ(next.top_types[0], "buy");
  EXPECT_NEAR(next.top_probabilities[0], 0.75, 1e-8);
  EXPECT_TRUE(next.converged);
  const std::string text = next.describe();
  EXPECT_NE(text.find("most likely type: buy (75%), then view (25%)"), std::string::npos) << text;
  EXPECT_EQ(next.to_json()["top_k"][1]["type"], "view");
}

TEST(NextEvent, AQuietWindowEndConditionsTheLaw) {
  // u1's last event is at 0.2 but its window runs to 3: the next event comes after 3.
  PoissonCase c;
  const NextEvent next = predict_user_next_event(c.predictor, c.data, "u1");
  EXPECT_DOUBLE_EQ(next.last_time, 0.2);
  EXPECT_DOUBLE_EQ(next.observed_until, 3.0);
  EXPECT_NEAR(next.expected_time, 3.0 + 0.5, 1e-8);
  EXPECT_NE(next.describe().find("nothing since, up to time 3"), std::string::npos) << next.describe();
}

TEST(NextEvent, AnUnknownUserIsNamedWithSomeKnownOnes) {
  PoissonCase c;
  try {
    predict_user_next_event(c.predictor, c.data, "nobody", {}, "log.jsonl");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("log.jsonl: no user 'nobody' (2 users: u0, u1)"), std::string::npos)
        << e.what();
  }
}

}  // namespace tpp
