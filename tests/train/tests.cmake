list(APPEND TPP_TESTS
  tests/train/mle_test.cpp
  tests/train/parameter_estimates_test.cpp
  tests/train/epoch_progress_test.cpp
  tests/train/objective_test.cpp
  tests/train/metrics_test.cpp
  tests/train/trainer_test.cpp
  tests/train/train_config_test.cpp
  tests/train/fit_test.cpp
  tests/train/iptw_test.cpp
  tests/train/iptw_training_test.cpp
)
