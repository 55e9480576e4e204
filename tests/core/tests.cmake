list(APPEND TPP_TESTS
  tests/core/numerics_test.cpp
)
