#pragma once
// The user model of repeated action delivery (docs/policy.md): a recurrent encoder over the three
// kinds of events (user events by type, opportunities, actions by type incl. "none"), and from the
// state after each event, competing risks for what comes next:
//   - the wait to the next user event: Burr XII (defective: the user may never return),
//   - the wait to the next opportunity: Burr XII (defective likewise),
//   - the type of a user event: softmax.
// Actions are the platform's choice at an opportunity (gap 0); they enter the state as inputs and
// add no likelihood term (interventions; no unobserved confounding is assumed). Per user,
//   log L = Σ_i [log f_kind(τ_i) + log S_other(τ_i) + log p(mark_i)] + Σ_kinds log S_kind(τ_end),
// τ_i the gap since the previous event of any kind, τ_end the quiet time before the window end.
#include <torch/torch.h>

#include <memory>
#include <vector>

#include "tpp/core/config_fields.h"
#include "tpp/core/context.h"
#include "tpp/models/burr_law.h"
#include "tpp/models/rnn_encoder.h"
#include "tpp/policy/action_log.h"

namespace tpp {

struct UserModelConfig {
  RnnEncoderConfig encoder{};
  bool defective{true};  // a probability of never again (churn) in both waiting-time laws
  int epochs{40};
  int batch_size{64};
  double lr{0.01};
  static const ConfigFields<UserModelConfig>& fields();  // the encoder's keys, defective, epochs, batch_size, lr
};

// Padded histories for the encoder and the likelihood. Interval i (0 <= i <= n) ends at event i,
// or at the window end for i = n; it is governed by the state after events < i.
struct ActionLogBatch {
  torch::Tensor token;   // [B, L] long: kind * 2^20 + mark of each event (the model maps it to its token); padding 0
  torch::Tensor dtime;   // [B, L] gap to the previous event (the first: its time); padding 0
  torch::Tensor span;    // [B, L+1] interval lengths; 0 beyond the last
  torch::Tensor closes;  // [B, L+1] long: kind of the event closing the interval; -1 censored or padding
  torch::Tensor mark;    // [B, L+1] long: the user event type closing the interval, else 0
  torch::Tensor length;  // [B] long
  int64_t batch_size() const { return token.size(0); }
};
ActionLogBatch make_action_log_batch(const std::vector<const UserHistory*>& users, const Context& ctx);

// The next-event laws from states [P..., H].
struct CompetingLaws {
  std::unique_ptr<BurrLaw> user_event, opportunity;
  torch::Tensor mark_log_probs;  // [P..., E]
};

class UserModelImpl : public torch::nn::Module {
 public:
  UserModelImpl(ActionSchema schema, UserModelConfig config);

  // Encoder tokens: user event type k -> k, opportunity -> E, action a -> E + 1 + a.
  int64_t event_token(int k) const { return k; }
  int64_t opportunity_token() const { return schema_.num_event_types(); }
  int64_t action_token(int a) const { return schema_.num_event_types() + 1 + a; }
  int64_t num_tokens() const { return schema_.num_event_types() + 1 + schema_.num_action_types(); }

  torch::Tensor encode(const ActionLogBatch& batch);                    // [B, L+1, H]
  CompetingLaws laws(const torch::Tensor& states) { return laws_from_head(head(states)); }  // states [P..., H]
  // The same in two steps, so that several models' heads can be mixed per user before the laws are
  // built: raw head outputs [P..., head_size()], then their laws.
  torch::Tensor head(const torch::Tensor& states);
  CompetingLaws laws_from_head(const torch::Tensor& raw) const;
  torch::Tensor log_likelihood(const ActionLogBatch& batch);            // [B], nats per user
  // Per-interval terms [B, L+1]: what the sum above adds at each interval (for tests).
  torch::Tensor log_likelihood_terms(const ActionLogBatch& batch);

  // Many users' carried states at once, for forward simulation.
  RnnEncoder::Carry initial(int64_t batch) const;
  RnnEncoder::Carry advance(const RnnEncoder::Carry& carry, const torch::Tensor& tokens, const torch::Tensor& gaps) {
    return encoder_.step(carry, tokens, gaps);
  }
  torch::Tensor top(const RnnEncoder::Carry& carry) const { return carry.hidden[encoder_.config().layers - 1]; }  // [B, H]
  // The carries after each user's whole history, and each user's quiet time since its last event.
  std::pair<RnnEncoder::Carry, torch::Tensor> carry_after(const std::vector<const UserHistory*>& users,
                                                          const Context& ctx);

  const ActionSchema& schema() const { return schema_; }
  const UserModelConfig& config() const { return config_; }
  int hidden_size() const { return config_.encoder.hidden; }

 private:
  ActionSchema schema_;
  UserModelConfig config_;
  RnnEncoder encoder_;
  torch::nn::Linear law_head_{nullptr};   // H -> 2 × (scale, c, k[, logit never])
  torch::nn::Linear mark_head_{nullptr};  // H -> E
};
TORCH_MODULE(UserModel);

// Maximum likelihood by Adam over minibatches of users (seeded by ctx.seed); progress lines on
// `progress` when not null. Returns the final mean log-likelihood per event (nats).
double fit_user_model(UserModel& model, const ActionLog& log, const Context& ctx, std::ostream* progress);
// Mean log-likelihood per event of a log (no gradient).
double user_model_log_likelihood(UserModel& model, const ActionLog& log, const Context& ctx);

}  // namespace tpp
