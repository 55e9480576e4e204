list(APPEND TPP_TESTS
  tests/train/mle_test.cpp
  tests/train/metrics_test.cpp
)
list(APPEND TPP_TESTS tests/train/trainer_test.cpp)
