list(APPEND TPP_SOURCES
  src/cli/command.cpp
  src/cli/generate.cpp
)
