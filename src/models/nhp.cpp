#include "tpp/models/nhp.h"

#include <vector>

#include "tpp/core/numerics.h"
#include "tpp/models/model_config.h"
#include "tpp/models/registry.h"

namespace tpp {

namespace {
// Gate groups in the 7D pre-activation, in this order.
enum Gate { kInput, kForget, kCandidate, kOutput, kInputTarget, kForgetTarget, kDecay, kNumGates };

torch::Tensor two_sigmoid_minus_one(const torch::Tensor& x) { return 2 * torch::sigmoid(x) - 1; }
}  // namespace

const ConfigFields<NhpConfig>& NhpConfig::fields() {
  static const auto fields =
      ConfigFields<NhpConfig>("nhp")
          .field("hidden_size", &NhpConfig::hidden_size, "D, continuous-time LSTM units", model_sizes::width());
  return fields;
}

NhpConfig NhpConfig::from_json(const nlohmann::json& j, const Schema& schema) {
  NhpConfig c;
  c.num_types = schema.num_action_types;
  c.num_stimulus_types = schema.num_stimulus_types;
  read_model_config(fields(), j, schema, c);
  return c;
}

nlohmann::json NhpConfig::to_json() const { return write_model_config(fields(), *this); }

NhpImpl::NhpImpl(NhpConfig config) : config_(config) {
  const int64_t D = config_.hidden_size;
  input_ = register_module("input", torch::nn::Embedding(bos_type() + 1, kNumGates * D));
  recurrent_ = register_module("recurrent", torch::nn::Linear(D, kNumGates * D));
  const double bound = 1.0 / std::sqrt(static_cast<double>(D));
  readout_weight_ = register_parameter("readout_weight", torch::empty({config_.num_types, D}).uniform_(-bound, bound));
  raw_scale_ = register_parameter("raw_scale", torch::full({config_.num_types}, inverse_softplus(1.0)));
  {
    // Embedding's default N(0, 1) rows would saturate the gates; match the recurrent init instead.
    torch::NoGradGuard no_grad;
    input_->weight.uniform_(-bound, bound);
  }
  to(torch::kFloat64);
}

torch::Tensor NhpImpl::scale() const { return torch::nn::functional::softplus(raw_scale_); }

NhpImpl::State NhpImpl::step(const torch::Tensor& type, const torch::Tensor& hidden, const torch::Tensor& decayed_cell,
                             const torch::Tensor& previous_target) {
  auto gates = (input_->forward(type) + recurrent_->forward(hidden)).chunk(kNumGates, -1);
  auto input_gate = torch::sigmoid(gates[kInput]);                  // (5a)
  auto forget_gate = torch::sigmoid(gates[kForget]);                // (5b)
  auto candidate = two_sigmoid_minus_one(gates[kCandidate]);        // (5c)
  auto output_gate = torch::sigmoid(gates[kOutput]);                // (5d)
  auto input_target = torch::sigmoid(gates[kInputTarget]);          // ī
  auto forget_target = torch::sigmoid(gates[kForgetTarget]);        // f̄
  State next;
  next.cell = forget_gate * decayed_cell + input_gate * candidate;              // (6a)
  next.cell_target = forget_target * previous_target + input_target * candidate;  // (6b)
  next.decay = torch::nn::functional::softplus(gates[kDecay]);                  // (6c)
  next.output_gate = output_gate;
  return next;
}

History NhpImpl::encode(const Batch& batch) {
  const int64_t B = batch.batch_size(), L = batch.max_length(), D = config_.hidden_size;
  auto options = batch.time.options();
  History history;
  history.batch = batch;
  history.start = torch::cat({torch::zeros({B, 1}, options), batch.time}, 1);

  // Appendix A.2: h(0) = 0, c_0 = c̄_0 = 0, then read the BOS event at t_start.
  auto zeros = torch::zeros({B, D}, options);
  auto bos = torch::full({B}, bos_type(), batch.type.options());
  std::vector<State> states{step(bos, zeros, zeros, zeros)};
  states.reserve(L + 1);
  // One transition per event position for the whole batch. Padding reads type 0 after a zero gap:
  // finite values on zero-length intervals that nothing downstream uses.
  for (int64_t i = 0; i < L; ++i) {
    const State& s = states.back();
    auto gap = batch.dtime.select(1, i).unsqueeze(-1);
    auto decayed = s.cell_target + (s.cell - s.cell_target) * torch::exp(-s.decay * gap);  // (7)
    auto hidden = s.output_gate * two_sigmoid_minus_one(2 * decayed);                     // (4b)
    states.push_back(step(batch.type.select(1, i), hidden, decayed, s.cell_target));
  }
  auto stack = [&](torch::Tensor State::*member) {
    std::vector<torch::Tensor> parts;
    parts.reserve(states.size());
    for (const auto& s : states) parts.push_back(s.*member);
    return torch::stack(parts, 1);
  };
  history.parts["cell"] = stack(&State::cell);
  history.parts["cell_target"] = stack(&State::cell_target);
  history.parts["decay"] = stack(&State::decay);
  history.parts["output_gate"] = stack(&State::output_gate);
  history.hidden = history.parts["output_gate"] * two_sigmoid_minus_one(2 * history.parts["cell"]);
  return history;
}

// O(1) per event: the CT-LSTM transition of encode() applied to the carried cell state.
class NhpState : public UserState {
 public:
  NhpState(NhpImpl& model, const Schema& schema, const Sequence& user, const Context& ctx)
      : UserState(schema, user, ctx), model_(model) {
    auto zeros = torch::zeros({1, model.config_.hidden_size}, ctx.options());
    state_ = model.step(token_tensor(model.bos_type()), zeros, zeros, zeros);
  }
  const History& current() override {
    if (!history_) {
      History h = open_history();
      h.parts["cell"] = state_.cell.unsqueeze(1);
      h.parts["cell_target"] = state_.cell_target.unsqueeze(1);
      h.parts["decay"] = state_.decay.unsqueeze(1);
      h.parts["output_gate"] = state_.output_gate.unsqueeze(1);
      h.hidden = h.parts["output_gate"] * two_sigmoid_minus_one(2 * h.parts["cell"]);
      history_ = std::make_unique<History>(std::move(h));
    }
    return *history_;
  }
  int64_t open_interval() const override { return 0; }

 private:
  // λ_k(τ) = s_k softplus(Σ_d w_kd o_d tanh(c_d(τ)) / s_k), c_d(τ) = c̄_d + (c_d − c̄_d) e^{−δ_d τ}:
  // intensity() on the open interval in nine double operations on [S, D] and [S, K] buffers,
  // with the per-state factors prepared once, where the History pass is ~17 kernels plus its
  // broadcasting over intervals; a served query makes several such calls.
  torch::Tensor intensity_direct(Model& model, const std::vector<double>& elapsed) override {
    if (&model != &model_) return {};
    if (!direct_.negative_decay.defined()) {
      auto cpu = [](const torch::Tensor& t) { return t.detach().to(torch::kCPU, torch::kFloat64).contiguous(); };
      direct_.target = cpu(state_.cell_target);                  // [1, D]
      direct_.difference = cpu(state_.cell) - direct_.target;    // [1, D]
      direct_.negative_decay = -cpu(state_.decay).view({-1});    // [D]
      direct_.output_gate = cpu(state_.output_gate);             // [1, D]
      direct_.weight_t = cpu(model_.readout_weight_).t();        // [D, K]
      direct_.scale = cpu(model_.scale());                       // [K]
    }
    auto tau = torch::tensor(elapsed, torch::kFloat64);
    auto cell = torch::addcmul(direct_.target, torch::outer(tau, direct_.negative_decay).exp_(), direct_.difference);
    // 2σ(2c) − 1 = tanh(c).
    return scaled_softplus(torch::mm(cell.tanh_().mul_(direct_.output_gate), direct_.weight_t), direct_.scale);
  }
  torch::Tensor token_tensor(int64_t token) const {
    return torch::full({1}, token, torch::TensorOptions().dtype(torch::kLong).device(ctx_.device));
  }
  void advance(const Event&, double, int64_t token, double gap) override {
    const auto& s = state_;
    auto decayed = s.cell_target + (s.cell - s.cell_target) * torch::exp(-s.decay * gap);  // (7)
    auto hidden = s.output_gate * two_sigmoid_minus_one(2 * decayed);                     // (4b)
    state_ = model_.step(token_tensor(token), hidden, decayed, s.cell_target);
    history_.reset();
    direct_ = {};  // prepared again on the next direct query
  }
  NhpImpl& model_;
  NhpImpl::State state_;
  std::unique_ptr<History> history_;
  struct {
    torch::Tensor target, difference, negative_decay, output_gate;  // c̄, c − c̄, −δ, o; double on the CPU
    torch::Tensor weight_t, scale;                                 // wᵀ [D, K], s [K]
  } direct_;  // empty until the next direct query
};

std::unique_ptr<UserState> NhpImpl::make_state(const Schema& schema, const Sequence& user, const Context& ctx) {
  return std::make_unique<NhpState>(*this, schema, user, ctx);
}

torch::Tensor NhpImpl::cell_at(const History& history, const torch::Tensor& elapsed) const {
  auto cell = history.parts.at("cell").unsqueeze(2);
  auto target = history.parts.at("cell_target").unsqueeze(2);
  auto decay = history.parts.at("decay").unsqueeze(2);
  return target + (cell - target) * torch::exp(-decay * elapsed.unsqueeze(-1));
}

torch::Tensor NhpImpl::readout(const torch::Tensor& hidden) const {
  return scaled_softplus(torch::matmul(hidden, readout_weight_.t()), scale());  // (4a), appendix A.1
}

torch::Tensor NhpImpl::intensity(const History& history, const torch::Tensor& elapsed) {
  auto hidden = history.parts.at("output_gate").unsqueeze(2) * two_sigmoid_minus_one(2 * cell_at(history, elapsed));
  return readout(hidden);
}

torch::Tensor NhpImpl::intensity_upper_bound(const History& history, const torch::Tensor& window) {
  // Appendix B.3: within an interval each c_d(t) moves monotonically from c_d toward c̄_d, and
  // w_kd·o_d·tanh(c) is monotone in c, so each term of w_k·h(t) peaks at one end of the window.
  // Summing the per-term maxima bounds w_k·h(t); f_k is increasing, and the sum over k bounds λ.
  auto output_gate = history.parts.at("output_gate");
  auto ends = torch::stack({torch::zeros_like(window), window}, -1);  // [B, L+1, 2]
  auto hidden_ends = output_gate.unsqueeze(2) * two_sigmoid_minus_one(2 * cell_at(history, ends));  // [B, L+1, 2, D]
  auto terms = hidden_ends.unsqueeze(-2) * readout_weight_;  // [B, L+1, 2, K, D]
  auto peak = std::get<0>(terms.max(2)).sum(-1);            // [B, L+1, K]
  return scaled_softplus(peak, scale()).sum(-1);
}

TPP_REGISTER_MODEL(nhp, NhpConfig, NhpImpl)

}  // namespace tpp
