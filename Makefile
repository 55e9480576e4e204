# Entry points: `make run` (main job on built-in data) and `make test`.
# Both install missing Debian packages first. libopenblas0-pthread takes over the libblas.so.3
# alternative that LibTorch calls for matrix products (the reference BLAS is 2-3x slower here); the
# pthread build, unlike the serial one, is safe to call from several threads (docs/serving.md), and
# the engine runs it on one thread per call (core/blas.h).
BUILD    ?= build
JOBS     ?= $(shell nproc)
CMAKE_ARGS ?=
TPP      := $(BUILD)/tpp
DEB_PACKAGES := cmake make g++ ccache libtorch-dev libopenblas0-pthread libgtest-dev libcli11-dev nlohmann-json3-dev libfmt-dev libcpp-httplib-dev libgloo-dev pkg-config python3 curl
DEB_PACKAGES += zlib1g-dev time
DEB_PACKAGES += python3-dev pybind11-dev python3-numpy python3-pandas python3-pytest

.PHONY: all deps configure build run test bench experiments experiments-expert experiments-iptw gpu clean python fuzz

all: build

deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_ARGS)

configure: deps $(BUILD)/CMakeCache.txt

build: configure
	cmake --build $(BUILD) -j $(JOBS)

# The Python module alone (build/python/tpp; docs/python.md).
python: configure
	cmake --build $(BUILD) -j $(JOBS) --target python

run: build
	bash tools/demo.sh $(TPP)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 600

# The reader fuzzer for long (docs/reliability.md; `make test` runs 3,000 inputs per format):
# FUZZ_INPUTS mutated inputs per format from seed FUZZ_SEED, findings kept in $(BUILD)/fuzz-findings.
FUZZ_INPUTS ?= 1000000
FUZZ_SEED   ?= 1
fuzz: configure
	cmake --build $(BUILD) -j $(JOBS) --target tpp_fuzz
	$(BUILD)/tpp_fuzz --inputs $(FUZZ_INPUTS) --seed $(FUZZ_SEED) --out $(BUILD)/fuzz-findings \
	  --format csv,jsonl,easytpp,rmtpp,schema,users,config
	python3 tests/fuzz/fuzz_gatech.py --inputs $(FUZZ_INPUTS) --seed $(FUZZ_SEED)

bench: build
	bash bench/run.sh $(BUILD)

experiments: build
	bash experiments/run_all.sh $(TPP)
	bash experiments/expert_synthetic/run.sh $(TPP) all

# Every table of docs/iptw.md (Yuchi & Zhu's synthetic experiments, ablations, the real-data case).
experiments-iptw: build
	bash experiments/iptw/all.sh $(TPP)

# ExPERT's synthetic experiments alone: every table of docs/expert.md and the Fig. 5 SVGs
# (out/experiments/expert/); sizes as docs/expert.md states them.
experiments-expert: build
	OUT=out/experiments/expert N_SEQ=100 EPOCHS=10 bash experiments/expert_synthetic/run.sh $(TPP) count
	OUT=out/experiments/expert N_SEQ=60 EPOCHS=10 bash experiments/expert_synthetic/run.sh $(TPP) selfexc
	OUT=out/experiments/expert N_SEQ=300 EPOCHS=15 bash experiments/expert_synthetic/run.sh $(TPP) complex
	OUT=out/experiments/expert N_SEQ=300 EPOCHS=10 bash experiments/expert_synthetic/run.sh $(TPP) ecommerce

# GPU build against the LibTorch bundled with a CUDA PyTorch installation.
gpu:
	cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES=90 \
	  -DCMAKE_PREFIX_PATH=$$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)') $(CMAKE_ARGS)
	cmake --build build-gpu -j $(JOBS)

clean:
	rm -rf $(BUILD)
