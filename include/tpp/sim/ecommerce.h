#pragma once
// A small e-commerce user simulator with category-tagged coupons (ExPERT's motivating example).
// Action types are product categories. For user u with features f = (activity, deal_affinity,
// taste_1, taste_2) and category c with taste direction w_c = (cos 2πc/C, sin 2πc/C):
//   base_c(u)  = base_rate · exp(activity + taste_weight · w_c·taste)
//   λ_c(t)     = base_c(u) · (1 + Σ_{coupons j covering c, live at t} ρ_u (δ_j/0.2) g_j(t))
//              + Σ_{t_i<t} α_{c,k_i} β e^{−β(t−t_i)}
//   g_j(t)     = issue_lift · e^{−(t−τ_j)/issue_decay} + expiry_lift · e^{−(τ_j+V_j−t)/expiry_decay}
//   ρ_u        = exp(deal_weight · deal_affinity),   α_{c,c} = alpha_self, α_{c,k≠c} = alpha_cross.
// Coupon j (discount δ_j, validity V_j) is live on (τ_j, τ_j+V_j] and, when single_use, until the
// first purchase in one of its categories. Coupon families: one per category and one sitewide.
// Each family has two stimulus types, "coupon:<family>" at issue and "expiry:<family>" at τ_j+V_j
// (recorded when inside the window), both affecting exactly the family's categories.
#include "tpp/core/config_fields.h"
#include "tpp/core/rng.h"
#include "tpp/sim/ground_truth.h"

namespace tpp {

struct EcommerceConfig {
  int num_categories{5};
  double t_end{90.0};          // days
  double base_rate{0.05};      // purchases per day per category for an average user
  double taste_weight{0.8};
  double activity_sd{0.5};
  double deal_weight{0.5};
  double alpha_self{0.3};
  double alpha_cross{0.02};
  double beta{0.5};            // per day
  double coupon_rate{0.12};    // coupons issued per day (Poisson)
  double sitewide_share{0.15}; // probability a coupon is sitewide; else its category ∝ base_c(u)
  double issue_lift{2.0};
  double issue_decay{1.0};     // days
  double expiry_lift{4.0};
  double expiry_decay{0.5};    // days
  bool single_use{true};
  std::vector<double> discounts{0.1, 0.15, 0.2, 0.25, 0.3, 0.4};
  std::vector<double> validities{3.0, 5.0, 7.0, 14.0};

  // The keys, defaults and checks (one declaration; experiments/expert_synthetic/README.md shows its table).
  static const ConfigFields<EcommerceConfig>& fields();
  static EcommerceConfig from_json(const nlohmann::json& j);  // missing keys keep defaults
  nlohmann::json to_json() const;
  // The declaration's checks on a config built in code; throws tpp::Error naming the key.
  void validate() const;
  std::vector<std::string> category_names() const;
  Schema schema() const;  // actions, the 2(C+1) coupon/expiry stimulus types, affects, 4 user features
};

struct Coupon {
  int family{0};           // 0..C-1: that category; C: sitewide
  double issued{0.0};
  double discount{0.2};
  double validity{7.0};
  double expiry() const { return issued + validity; }
};

struct EcommerceUser {
  std::vector<float> features;  // activity, deal_affinity, taste_1, taste_2
  std::vector<Coupon> coupons;  // sorted by issue time
  nlohmann::json to_json() const;
  static EcommerceUser from_json(const nlohmann::json& j);
};

class EcommerceTarget : public GroundTruthTarget {
 public:
  EcommerceTarget(EcommerceConfig config, EcommerceUser user);
  int num_types() const override { return config_.num_categories; }
  double upper_bound(double t, double t_until) override;
  void intensities(double t, std::vector<double>& out) override;
  void observe(const Event& event) override;
  void breakpoints(double t0, double t1, std::vector<double>& out) const override;

  double base_rate(int category) const { return base_[category]; }
  bool covers(int family, int category) const;
  // The coupon and expiry stimuli of this user inside [0, t_end], with their texts.
  std::vector<Event> stimuli() const;

 private:
  double coupon_shape(const Coupon& coupon, double t) const;  // ρ (δ/0.2) g(t)
  EcommerceConfig config_;
  EcommerceUser user_;
  std::vector<double> base_;
  double rho_{1.0};
  std::vector<bool> redeemed_;
  double last_time_{0.0};
  std::vector<double> decayed_;  // per source category: Σ_{i: k_i = k} e^{−β(last − t_i)}
};

EcommerceUser draw_ecommerce_user(const EcommerceConfig& config, Rng& rng);
GeneratedData generate_ecommerce(const EcommerceConfig& config, std::size_t n_seq, std::uint64_t seed);

}  // namespace tpp
