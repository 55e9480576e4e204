list(APPEND TPP_TESTS
  tests/sim/thinning_test.cpp
  tests/sim/ground_truth_test.cpp
  tests/sim/generator_config_test.cpp
)
