list(APPEND TPP_SOURCES
  src/core/allocator.cpp
  src/core/atomic_output.cpp
  src/core/blas.cpp
  src/core/config_fields.cpp
  src/core/context.cpp
  src/core/error.cpp
  src/core/numerics.cpp
  src/core/rng.cpp
  src/core/stats.cpp
)
