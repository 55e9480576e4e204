list(APPEND TPP_SOURCES
  src/models/model.cpp
  src/models/poisson.cpp
  src/models/registry.cpp
  src/models/hawkes.cpp
  src/models/inhibition.cpp
  src/models/self_correcting.cpp
  src/models/rmtpp.cpp
  src/models/thp.cpp
  src/models/user_state.cpp
  src/models/attention.cpp
  src/models/nhp.cpp
  src/models/sahp.cpp
  src/models/attnhp.cpp
  src/models/expert.cpp
)
