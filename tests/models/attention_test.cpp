// Blocked attention (long histories in bounded memory) must equal attention computed in one piece.
#include <gtest/gtest.h>

#include <vector>

#include "tpp/models/attention.h"
#include "tpp/models/attnhp.h"
#include "tpp/models/registry.h"

namespace tpp {
namespace {

torch::Tensor full_causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                    int64_t diagonal, bool null_slot) {
  auto allowed = torch::ones({q.size(-2), k.size(-2)}, torch::kBool).tril(diagonal);
  return masked_attention(q, k, v, allowed, null_slot);
}

TEST(CausalAttention, BlocksOfAnySizeEqualOnePiece) {
  torch::manual_seed(3);
  auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  auto q = torch::randn({2, 3, 11, 4}, opts), k = torch::randn({2, 3, 11, 4}, opts), v = torch::randn({2, 3, 11, 5}, opts);
  for (int64_t diagonal : {0, -1}) {
    for (bool null_slot : {true, false}) {
      if (diagonal < 0 && !null_slot) continue;  // row 0 would see nothing, which needs the null slot
      auto reference = full_causal_attention(q, k, v, diagonal, null_slot);
      // 6 = one row per block (2·3 rows of one key), 100 = uneven blocks, 1e9 = one piece.
      for (int64_t budget : {int64_t{1}, int64_t{6}, int64_t{100}, int64_t{1000000000}}) {
        auto blocked = causal_attention(q, k, v, diagonal, null_slot, budget);
        ASSERT_EQ(blocked.sizes(), reference.sizes());
        EXPECT_TRUE(torch::allclose(blocked, reference, 1e-13, 1e-13))
            << "diagonal " << diagonal << " null_slot " << null_slot << " budget " << budget;
      }
    }
  }
}

TEST(CausalAttention, GradientsFlowThroughEveryBlock) {
  torch::manual_seed(4);
  auto opts = torch::TensorOptions().dtype(torch::kFloat64).requires_grad(true);
  auto q = torch::randn({1, 2, 7, 3}, opts), k = torch::randn({1, 2, 7, 3}, opts), v = torch::randn({1, 2, 7, 3}, opts);
  auto grads = [&](int64_t budget) {
    auto out = causal_attention(q, k, v, -1, true, budget);
    return torch::autograd::grad({(out * out).sum()}, {q, k, v});
  };
  auto whole = grads(int64_t{1} << 30), blocked = grads(5);
  for (size_t i = 0; i < whole.size(); ++i) EXPECT_TRUE(torch::allclose(whole[i], blocked[i], 1e-12, 1e-12)) << i;
}

// A sequence long enough that a tiny budget splits both the encoder and the query pass into blocks.
Batch long_batch(const Schema& schema) {
  Dataset d;
  d.schema = schema;
  for (int s = 0; s < 3; ++s) {
    Sequence seq;
    seq.user = "u" + std::to_string(s);
    seq.t_start = 0.0;
    double t = 0.0;
    for (int i = 0; i < 9 + 4 * s; ++i) {
      t += 0.1 + 0.37 * ((i * 7 + s) % 5);
      seq.events.push_back({t, (i + s) % 2, false, {}, {}});
    }
    seq.t_end = t + 0.5;
    d.sequences.push_back(seq);
  }
  return make_batch(d, Context{});
}

TEST(AttnhpBlocks, LikelihoodAndStateDoNotDependOnTheAttentionBudget) {
  Schema schema;
  schema.num_action_types = 2;
  schema.action_names = {"a", "b"};
  torch::manual_seed(9);
  auto model = ModelRegistry::instance().create(
      {{"model", "attnhp"}, {"d_model", 4}, {"d_time", 4}, {"heads", 2}, {"layers", 2}, {"dropout", 0.0}}, schema);
  model->eval();
  auto& attnhp = dynamic_cast<AttnhpImpl&>(*model);
  Batch batch = long_batch(schema);
  IntegralOptions options;
  options.method = IntegralOptions::Method::GaussLegendre;
  options.points = 5;
  auto evaluate = [&](int64_t budget) {
    attnhp.set_attention_budget(budget);
    auto history = model->encode(batch);
    torch::manual_seed(1);
    auto elapsed = torch::rand({batch.batch_size(), batch.max_length() + 1, 3}, torch::kFloat64);
    return std::make_pair(model->log_likelihood(batch, options), attnhp.state_at(history, elapsed));
  };
  auto [ll_whole, state_whole] = evaluate(int64_t{1} << 30);
  auto [ll_blocked, state_blocked] = evaluate(7);
  EXPECT_TRUE(torch::allclose(ll_whole, ll_blocked, 1e-12, 1e-12)) << ll_whole << ll_blocked;
  EXPECT_TRUE(torch::allclose(state_whole, state_blocked, 1e-12, 1e-12));
}

}  // namespace
}  // namespace tpp
