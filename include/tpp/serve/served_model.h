#pragma once
// A saved model as the server uses it: user states built from stored events, and predictions and
// intensities in the data's own terms (file time units, type names). Times cross into model units
// here and nowhere else in serve/.
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tpp/data/user_id_features.h"
#include "tpp/infer/predict.h"
#include "tpp/models/registry.h"
#include "tpp/models/user_state.h"
#include "tpp/serve/journal.h"

namespace tpp {

// The next event of one user, in file units. Times are absolute unless named *_delay.
struct ServedPrediction {
  double as_of{0};          // the query time: the last event, or later with no event since
  double last_event_time{0};
  std::size_t num_events{0};
  double expected_time{0};  // as_of + E[τ − quiet | τ > quiet]
  double median_time{0};
  std::vector<std::pair<std::string, double>> type_probability;  // every action type, by name
  std::vector<std::pair<std::string, double>> top_k;             // most probable first
  double no_event_probability{0};
  bool converged{true};
  nlohmann::json to_json() const;
};

class ServedModel {
 public:
  // `predict`: quadrature tolerances; top_k there is the default per query.
  ServedModel(SavedModel saved, Context context, PredictOptions predict);

  // The schema requests are checked against: the model's, less the user-id block of a model
  // trained with "user_ids" (data/user_id_features.h), which the server appends from the user id.
  const Schema& schema() const { return schema_; }
  const SavedModel& saved() const { return saved_; }
  Model& model() const { return *saved_.model; }
  const std::string& name() const { return name_; }

  // The state after every stored event of `user`.
  std::unique_ptr<UserState> build_state(const StoredUser& user) const;
  // Advances a state by one stored event (file units).
  void observe(UserState& state, const Event& event) const;
  // The next event after `as_of` (file units; NaN: the last event), conditioned on no event in
  // between. Throws tpp::Error when as_of precedes the last event or top_k is out of range.
  ServedPrediction predict(UserState& state, double as_of, int top_k) const;
  // λ_k per file time unit at file times >= the last event: [times][K].
  std::vector<std::vector<double>> intensity(UserState& state, const std::vector<double>& times) const;
  // λ_k over any times within [t_start, ∞) of a stored user, re-encoding its events once (the
  // state covers only the open interval): [times][K]. Times must be non-decreasing.
  std::vector<std::vector<double>> intensity_over_history(const StoredUser& user, const std::vector<double>& times) const;

  // Model calls (state steps, predictions, intensities) run one at a time when the BLAS is not
  // safe to call from several threads at once (Debian's serial OpenBLAS: concurrent matrix
  // products come out wrong now and then, bench/blas_threads.cpp; core/blas.h); otherwise every
  // worker runs its own. Parsing, journaling and replies run on every worker in either case.
  bool serialized_model_calls() const { return serialized_; }

 private:
  // One stored event (file units) into a state, without the lock: observe() and build_state() hold it.
  void step(UserState& state, const Event& event) const;
  // λ_k [S, K] per model unit (double, CPU) as rates per file unit.
  std::vector<std::vector<double>> per_file_unit(const torch::Tensor& lambda) const;
  // Holds the model lock when calls must be serialised, else nothing.
  std::unique_lock<std::mutex> model_call() const;
  // A stored user's features as the model reads them: with the user-id block when it has one.
  std::vector<float> model_features(const StoredUser& user) const;

  SavedModel saved_;
  Schema schema_;
  std::optional<UserIdFeaturizer> user_ids_;
  Context context_;
  PredictOptions predict_;
  std::string name_;
  bool serialized_{true};
  mutable std::mutex model_mutex_;
};

}  // namespace tpp
