list(APPEND TPP_TESTS
  tests/train/metrics_test.cpp
)
