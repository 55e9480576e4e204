list(APPEND TPP_TESTS
  tests/sim/thinning_test.cpp
)
