#pragma once
// The one interface every point-process model implements, so the trainer, predictor, sampler,
// IPTW and policy code work on all of them. See data/batch.h for the interval convention.
#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "tpp/core/context.h"
#include "tpp/data/batch.h"
#include "tpp/data/dataset.h"
#include "tpp/models/next_event_law.h"
#include "tpp/models/thinning_target.h"
#include "tpp/models/user_state.h"

namespace tpp {

// What a model computed once from a batch's events, reused for every query.
struct History {
  torch::Tensor hidden;    // [B, L+1, H]: state governing interval i (i.e. after events < i)
  torch::Tensor start;     // [B, L+1]: interval start (relative time), interval i begins at event i−1
  std::map<std::string, torch::Tensor> parts;  // model-specific tensors, each [B, L+1, ...]
  Batch batch;             // the batch it was encoded from
};

// How the integral in the log-likelihood is computed.
struct IntegralOptions {
  enum class Method { Exact, GaussLegendre, MonteCarlo };
  Method method{Method::GaussLegendre};
  int points{32};   // quadrature nodes or Monte Carlo samples per interval
  // Monte Carlo only. Set: the nodes of sequence `batch.sequence_id[b]` come from its own stream
  // stream_seed(seed, id), drawn for its own intervals, so they do not depend on which sequences
  // share its batch or process. Unset: drawn from LibTorch's global generator.
  std::optional<std::uint64_t> seed;
};

// The log-likelihood of a batch as per-event terms, from one encode:
//   LL_b = Σ_i log_intensity[b, i] − Σ_i compensator[b, i].
// Per-interval weights w [B, L+1] (Batch::weight) multiply interval i's compensator and the log
// intensity of the event that closes it (event i), which is what IPTW's per-event weights need.
struct LikelihoodTerms {
  torch::Tensor log_intensity;  // [B, L]: log λ_{k_i}(t_i) at each user action; 0 at stimuli and padding
  torch::Tensor compensator;    // [B, L+1]: ∫ Σ_k λ_k over interval i; 0 on padded intervals

  torch::Tensor log_likelihood() const;  // [B]: per sequence, unweighted
  // Σ_b Σ_i w[b, i]·(log_intensity[b, i] − compensator[b, i]): a scalar.
  torch::Tensor weighted_sum(const torch::Tensor& weight) const;
};

class Model : public torch::nn::Module {
 public:
  // Registry key ("poisson", "hawkes", "thp", ...).
  virtual std::string name() const = 0;
  // The JSON config that rebuilds this model (with the schema) via the registry.
  virtual nlohmann::json config() const = 0;
  virtual int num_types() const = 0;  // action types K

  virtual History encode(const Batch& batch) = 0;
  // λ_k at `elapsed` times after each interval's start: elapsed [B, L+1, S] -> [B, L+1, S, K].
  virtual torch::Tensor intensity(const History& history, const torch::Tensor& elapsed) = 0;
  // A bound M with Σ_k λ_k(start + s) <= M for all s in [0, window] on each interval:
  // window [B, L+1] -> [B, L+1]. Used by thinning.
  virtual torch::Tensor intensity_upper_bound(const History& history, const torch::Tensor& window) = 0;
  // The likelihood's per-event terms on an encoded history. The default evaluates intensity() at
  // the events and integrates it numerically; models with a closed-form compensator override it
  // and honour Method::Exact (exactly per interval).
  virtual LikelihoodTerms likelihood_terms(const History& history, const IntegralOptions& options = {});
  // Per-sequence Σ_{actions} log λ_{k_i}(t_i) − ∫_{t_start}^{t_end} Σ_k λ_k(t) dt: [B]
  // (encode + likelihood_terms).
  torch::Tensor log_likelihood(const Batch& batch, const IntegralOptions& options = {});
  // History embedding h_i used by IPTW binning: [B, L+1, q]. Default: history.hidden.
  virtual torch::Tensor embedding(const History& history) { return history.hidden; }
  // Extra training loss on top of −log-likelihood (e.g. THP's type and time heads), per event:
  // [B, L], the loss of event i predicted from interval i's state; 0 at stimuli and padding.
  // Default: none (undefined tensor).
  virtual torch::Tensor auxiliary_loss(const History& history, const nlohmann::json& weights);
  // The incremental state of one user (models/user_state.h) after observing `user`'s events
  // (absolute times in the user's units; the model in evaluation mode).
  std::unique_ptr<UserState> start(const Schema& schema, const Sequence& user, const Context& ctx = {});
  // A fast scalar simulator of this model with its current parameters, starting from an empty
  // history at time t_start; nullptr when the model has none (the sampler then re-encodes the
  // growing history with encode()).
  virtual std::unique_ptr<ThinningTarget> thinning_target(double t_start) const { return nullptr; }
  // The next event's law in closed form on every interval of `history` (models/next_event_law.h),
  // for models that define it directly (intensity-free models, RMTPP) or whose intensity has one
  // (Poisson, Hawkes with one decay); none (the default) otherwise. Prediction and sampling then
  // use it instead of quadrature and thinning.
  virtual std::optional<NextEventLaw> next_event_law(const History& history) { return std::nullopt; }

 protected:
  // A state before any event for start(). Default: ReencodingState; models with a recursion or a
  // cache return their own.
  virtual std::unique_ptr<UserState> make_state(const Schema& schema, const Sequence& user, const Context& ctx);
  // Where and how an interval's integral is sampled: nodes at fraction·span of each interval
  // ([B, L+1, S]) with weights [S] (Gauss–Legendre, or 1/S for Monte Carlo).
  struct IntegrationNodes {
    torch::Tensor fraction, weight;
  };
  static IntegrationNodes integration_nodes(const Batch& batch, const IntegralOptions& options);
};

using ModelPtr = std::shared_ptr<Model>;

// per_type [B, L, K] read at each action's type: [B, L], 0 at stimuli and padding.
torch::Tensor at_action_types(const Batch& batch, const torch::Tensor& per_type);

}  // namespace tpp
