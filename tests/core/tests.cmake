list(APPEND TPP_TESTS
  tests/core/allocator_test.cpp
  tests/core/atomic_output_test.cpp
  tests/core/config_fields_test.cpp
  tests/core/numerics_test.cpp
)
