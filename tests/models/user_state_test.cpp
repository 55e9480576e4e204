// Incremental user state (models/user_state.h) against the batch encode, for every model: after
// each observed event the state's intensity and bound on the open interval equal those of the
// batch History's interval at the same elapsed times, to 1e-10 in float64.
#include "tpp/models/user_state.h"

#include <gtest/gtest.h>

#include "tpp/core/error.h"
#include "tpp/models/model.h"
#include "tpp/models/registry.h"

namespace tpp {
namespace {

struct StateCase {
  std::string label;
  nlohmann::json config;
  // gtest prints a parameter with its test's name; without this it dumps the struct's bytes.
  friend void PrintTo(const StateCase& c, std::ostream* os) { *os << c.label; }
};

// Two action types and one stimulus type; the sequence starts at a non-zero time, has a tie and a
// stimulus, so relative time, token ids and zero gaps are all exercised.
Dataset user_dataset() {
  Dataset d;
  d.schema.num_action_types = 2;
  d.schema.num_stimulus_types = 1;
  d.schema.action_names = {"a", "b"};
  d.schema.stimulus_names = {"s"};
  Sequence s;
  s.user = "u";
  s.t_start = 5.0;
  s.t_end = 9.5;
  s.events = {{5.4, 0, false, {}, {}}, {5.9, 0, true, {}, {}}, {6.3, 1, false, {}, {}}, {6.3, 0, false, {}, {}},
              {7.2, 1, false, {}, {}}, {8.0, 0, true, {}, {}}, {8.6, 0, false, {}, {}}};
  d.sequences = {s};
  return d;
}

class UserStateTest : public ::testing::TestWithParam<StateCase> {};

TEST_P(UserStateTest, IncrementalEqualsBatchAtEveryEvent) {
  Dataset d = user_dataset();
  torch::manual_seed(5);
  auto model = ModelRegistry::instance().create(GetParam().config, d.schema);
  model->eval();
  torch::NoGradGuard no_grad;
  const Sequence& seq = d.sequences[0];
  History batch = model->encode(make_batch(d, Context{}));
  Sequence header = seq;
  header.events.clear();
  auto state = model->start(d.schema, header);
  const int64_t n = static_cast<int64_t>(seq.events.size());
  for (int64_t i = 0; i <= n; ++i) {
    const double span = batch.batch.span[0][i].item<double>();
    const double last = i == 0 ? seq.t_start : seq.events[i - 1].time;
    ASSERT_DOUBLE_EQ(state->last_time(), last);
    // Elapsed points inside, at the end of and beyond the observed interval.
    std::vector<double> elapsed{0.0, 0.37 * span + 0.01, span, 1.8 * span + 0.2};
    auto query = torch::zeros({1, n + 1, 4}, torch::kFloat64);
    std::vector<double> times;
    for (int s = 0; s < 4; ++s) {
      query[0][i][s] = elapsed[s];
      times.push_back(last + elapsed[s]);
    }
    auto expected = model->intensity(batch, query)[0][i];
    auto got = state->intensity_at(*model, times);
    EXPECT_TRUE(torch::allclose(got, expected, 1e-10, 1e-10)) << "interval " << i << "\n" << got << "\n" << expected;
    auto window = torch::zeros({1, n + 1}, torch::kFloat64);
    window[0][i] = 2.0;
    EXPECT_NEAR(state->upper_bound(*model, 2.0), model->intensity_upper_bound(batch, window)[0][i].item<double>(),
                1e-10 * (1 + std::abs(state->upper_bound(*model, 2.0))))
        << "interval " << i;
    if (i < n) state->observe(seq.events[i]);
  }
  EXPECT_EQ(state->num_events(), static_cast<std::size_t>(n));
  // start() with the events given up front is the same state.
  auto whole = model->start(d.schema, seq);
  EXPECT_TRUE(torch::allclose(whole->intensity_at(*model, {9.0}), state->intensity_at(*model, {9.0}), 1e-12, 1e-12));
}

TEST_P(UserStateTest, RejectsEventsOutOfOrderOrOfUnknownType) {
  Dataset d = user_dataset();
  auto model = ModelRegistry::instance().create(GetParam().config, d.schema);
  model->eval();
  auto state = model->start(d.schema, d.sequences[0]);
  EXPECT_THROW(state->observe(Event{8.0, 0, false, {}, {}}), Error);  // before the last event at 8.6
  EXPECT_THROW(state->observe(Event{9.0, 2, false, {}, {}}), Error);  // action type 2 of 2
  EXPECT_THROW(state->observe(Event{9.0, 1, true, {}, {}}), Error);   // stimulus type 1 of 1
  EXPECT_EQ(state->num_events(), d.sequences[0].events.size());
}

INSTANTIATE_TEST_SUITE_P(
    Models, UserStateTest,
    ::testing::Values(
        StateCase{"poisson", {{"model", "poisson"}, {"rate", {0.7, 0.4}}}},
        StateCase{"hawkes", {{"model", "hawkes"}, {"mu", {0.3, 0.2}}, {"alpha", {{0.4, 0.1}, {0.2, 0.5}}}, {"beta", 1.3}}},
        StateCase{"hawkes_beta_matrix",
                  {{"model", "hawkes"}, {"mu", {0.3, 0.2}}, {"beta_matrix", true},
                   {"alpha", {{0.4, 0.1}, {0.2, 0.5}, {0.3, 0.0}}}, {"beta", {{1.3, 0.5}, {2.0, 0.8}, {0.9, 1.1}}}}},
        StateCase{"self_correcting", {{"model", "self_correcting"}, {"mu", {0.5, 0.3}}}},
        StateCase{"inhibition", {{"model", "inhibition"}}},
        StateCase{"rmtpp", {{"model", "rmtpp"}, {"embed_dim", 3}, {"hidden", 4}, {"w_init", -0.3}}},
        StateCase{"rmtpp_lstm", {{"model", "rmtpp"}, {"embed_dim", 3}, {"hidden", 4}, {"layers", 2}, {"cell", "lstm"}}},
        StateCase{"thp", {{"model", "thp"}, {"d_model", 4}, {"heads", 2}, {"layers", 2}, {"d_ff", 8}, {"dropout", 0.1}}},
        StateCase{"nhp", {{"model", "nhp"}, {"hidden_size", 4}}},
        StateCase{"lognormmix", {{"model", "lognormmix"}, {"embed_dim", 3}, {"hidden", 4}, {"components", 3}}},
        StateCase{"burr_defective_lstm",
                  {{"model", "burr"}, {"embed_dim", 3}, {"hidden", 4}, {"layers", 2}, {"cell", "lstm"}, {"defective", true}}},
        StateCase{"sahp", {{"model", "sahp"}, {"d_model", 4}, {"heads", 2}, {"layers", 2}, {"d_ff", 8}, {"dropout", 0.0}}},
        StateCase{"attnhp",
                  {{"model", "attnhp"}, {"d_model", 4}, {"d_time", 4}, {"heads", 2}, {"layers", 2}, {"dropout", 0.0}}},
        // Without the imminent-stimulus window: the batch encoding of a whole sequence sees stimuli
        // ahead of each interval, which a user's state has not observed yet. With the window the
        // state equals the encode of each prefix (Expert.StateEqualsTheEncodeOfEachPrefix).
        StateCase{"expert", {{"model", "expert"}, {"d_model", 4}, {"heads", 2}, {"layers", 2}, {"d_ff", 8}, {"dropout", 0.0},
                             {"future_window", 0.0}}}),
    [](const ::testing::TestParamInfo<StateCase>& info) { return info.param.label; });

}  // namespace
}  // namespace tpp
