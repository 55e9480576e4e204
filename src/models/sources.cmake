list(APPEND TPP_SOURCES
  src/models/model.cpp
  src/models/poisson.cpp
  src/models/registry.cpp
  src/models/rmtpp.cpp
  src/models/thp.cpp
)
