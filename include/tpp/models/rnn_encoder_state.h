#pragma once
// The user state of a model built on RnnEncoder (RMTPP, the intensity-free models): O(1) per
// event, one step of the encoder's cell from the carried state. `Owner` has `encoder_` and
// `read_out(History&, top-layer state [1, 1, H])` and befriends this template.
#include <memory>

#include "tpp/models/model.h"
#include "tpp/models/rnn_encoder.h"
#include "tpp/models/user_state.h"

namespace tpp {

template <class Owner>
class RnnEncoderState : public UserState {
 public:
  RnnEncoderState(Owner& model, const Schema& schema, const Sequence& user, const Context& ctx)
      : UserState(schema, user, ctx), model_(model), carry_(model.encoder_.initial()) {}
  const History& current() override {
    if (!history_) {
      history_ = std::make_unique<History>(open_history());
      model_.read_out(*history_, model_.encoder_.top(carry_));  // [1, 1, H]
    }
    return *history_;
  }
  int64_t open_interval() const override { return 0; }

 private:
  void advance(const Event&, double, int64_t token, double gap) override {
    model_.encoder_.step(carry_, token, gap, ctx_);
    history_.reset();
  }
  Owner& model_;
  RnnEncoder::Carry carry_;
  std::unique_ptr<History> history_;
};

}  // namespace tpp
