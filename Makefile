# echolab: what a user types. `make run` and `make test` work on a fresh
# Debian machine: missing packages are installed first (apt-get, once).

BUILD      ?= build
JOBS       ?= $(shell nproc)
BUILD_TYPE ?= Release
# An interpreter that can import matplotlib (Debian's python3-matplotlib
# installs for /usr/bin/python3, which may not be the python3 on PATH).
PYTHON     ?= $(shell for p in /usr/bin/python3 python3; do $$p -c 'import matplotlib' >/dev/null 2>&1 && { command -v $$p; break; }; done)
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# PYTHON is expanded when a recipe runs (after `deps` may have installed
# matplotlib); NEED_PY stops a recipe with one line when there is none.
NEED_PY    = test -n "$(PYTHON)" || { echo "$@: no python3 that imports matplotlib: apt-get install python3-matplotlib"; exit 1; }
# $(call need,COMMAND,DEBIAN_PACKAGE): installs the package when COMMAND is
# missing, or stops with one line saying what to install.
need       = command -v $(1) >/dev/null 2>&1 || { echo "$@: installing $(2) (for $(1))"; $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(2) >/dev/null; } || { echo "$@: $(1) is missing and could not be installed: apt-get install $(2)"; exit 1; }
DEBS       := cmake ninja-build g++ make pkg-config libhwloc-dev hwloc nlohmann-json3-dev libbenchmark-dev \
              libgtest-dev liburing-dev python3-matplotlib python3-scipy socat clang libclang-rt-14-dev \
              nodejs procps ccache \
              iproute2 openssh-client openssh-server cargo rustc librust-mio-0.6-dev
CMAKE_ARGS := -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(if $(filter true,$(CI)),-DECHOLAB_WERROR=ON)
# $(call generator,DIR): Ninja for a new build directory (it starts a target's
# sources before the libraries they link with are built: an ASan build took
# 138 s against make's 150 on 2 cores); a configured one keeps its own.
generator  = $(if $(wildcard $(1)/CMakeCache.txt),,-G Ninja)
SPEC       ?= experiments/forum-threadpool.json

.PHONY: fresh-check all deps build build-asan build-tsan test test-fast test-asan test-tsan test-fuzz test-soak soak fuzz fuzz-build fuzz-configure run claims speed speed-latency hosts-veth mio-peer micro plot compare sweep clean format

all: build

# Installs only what is missing; does nothing (and needs no network) otherwise.
deps:
	@missing=""; for p in $(DEBS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

build: deps
	@cmake -S . -B $(BUILD) $(call generator,$(BUILD)) $(CMAKE_ARGS) -DECHOLAB_PYTHON=$(PYTHON) >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

# Unit + loopback tests, Python tests of plot/, then the same C++ tests
# under ASan+UBSan and under TSan, a short fuzz of every input parser and a
# short soak of every model; ends with each stage's time and every test that
# was skipped (under CI=true a skip tests/skips-allowed.txt does not explain
# fails the run).
test:
	@MAKE="$(MAKE)" bash tests/run_stages.sh test-fast test-asan test-tsan test-fuzz test-soak

# ctest runs JOBS tests at a time: no test asserts a time or a rate tight
# enough for a neighbour to move it (the open loop's rate check allows 15%,
# the herd test compares counts), and the scripted tests that build
# namespaces or kill processes look only for their own. The namespace-hosts
# test runs alone: it compares two processes' windows (CMakeLists.txt).
test-fast: build mio-peer
	ctest --test-dir $(BUILD) --output-on-failure --timeout 300 -j$(JOBS)

# Tests the sanitizer stages leave to test-fast: the Python tests (not built
# there), the stream check against misbehaving servers (a client-side byte
# comparison that spends its time starting Python servers: 12 s per build)
# and the placement check of every model (binding, 16 short trials: 7 s);
# the checks of what spinning loops and server.max_events count (the loop's
# wait and batch, no new threads or memory: 9 s per build) and the quick
# sweep end to end (its trials are timed: 9 s per build); ServerSend, every
# epoll model's zero-copy stream and crr trials (6 s here; the zero-copy
# buffers themselves stay under the sanitizers in ZeroCopyOutput and
# ConnectionSend); SeparateServerProcess, 7 models each started as its own
# `echolab serve --control` (11 s under each sanitizer: process start-up;
# the controlled serve path stays under both in HostsTrial, the models'
# threads in the loopback tests). UringOptions, the io_uring setups, stays
# under both.
NOT_UNDER_SANITIZERS := -StreamCheck.*:PlacementObserved.*:ServerWait.*:LoadWait.*:ServerMaxEvents.*:ServerCpuPerRequest.*:ServerSend.*:SeparateServerProcess.*:SweepRun.QuickExperimentRunsEndToEnd

# The sanitizer stages run echolab_tests in SANITIZER_SHARDS processes (gtest
# sharding, tests/run_gtest_shards.sh) instead of one per test: a sanitized
# process takes 0.13-0.2 s to start, 35-45 s of each stage under ctest.
SANITIZER_SHARDS := 12

# Warnings are errors (CI) in the Release build only: GCC 12 reports false
# array-bounds and stringop-overflow in libstdc++'s string code under -O1 and
# sanitizer instrumentation, a different set with each change of flags.
# ASan+UBSan run in clang's fuzz build (build-fuzz): the tests and the fuzzers
# share one instrumented build of every layer; TSan stays on GCC, so both
# compilers build and test the code.
FUZZ_BUILD_DIR := build-fuzz
fuzz-configure: deps
	@$(call need,clang++,clang)
	@CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD_DIR) $(call generator,$(FUZZ_BUILD_DIR)) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DECHOLAB_FUZZ=ON >/dev/null

# build-asan builds all of build-fuzz, the fuzzers too (test-fuzz then finds
# them built): one build -j fills both cores, where the tests' last batch
# would otherwise compile alone. (Starting build-asan and build-tsan at
# nice 19 beside test-fast was tried: the tests slowed by what the builds
# gained, 765 s in all.)
build-asan: fuzz-configure
	@cmake --build $(FUZZ_BUILD_DIR) -j$(JOBS)

build-tsan: deps
	@cmake -S . -B build-tsan $(call generator,build-tsan) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DECHOLAB_SANITIZE=thread -DECHOLAB_WERROR=OFF >/dev/null
	@cmake --build build-tsan -j$(JOBS) --target echolab_test_programs

test-asan: build-asan
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  tests/run_gtest_shards.sh $(FUZZ_BUILD_DIR)/echolab_tests $(SANITIZER_SHARDS) $(JOBS) '$(NOT_UNDER_SANITIZERS)'

test-tsan: build-tsan
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
	  tests/run_gtest_shards.sh build-tsan/echolab_tests $(SANITIZER_SHARDS) $(JOBS) '$(NOT_UNDER_SANITIZERS)'

# libFuzzer (clang) on every input that crosses a process or file boundary:
# the spec parser, locations, the command line, the trials.jsonl reader, the
# control protocol's config line, a host's result line (the remote window)
# and a trial's result; each seeded from fuzz/corpus/<input>/, with a JSON
# dictionary (fuzz/json.dict) for the JSON inputs. `make fuzz` runs each for
# FUZZ_S seconds (default 300), JOBS at a time; `make test` for 3 (a smoke run: the seed corpus
# and about 1,000-40,000 mutations per input). Findings
# (crash-*, timeout-*) land in build-fuzz/artifacts/<input>/.
FUZZ_S ?= 300
FUZZ_INPUTS := spec location cli trials control window result
FUZZ_JSON_INPUTS := spec trials control window result
fuzz-build: fuzz-configure
	@cmake --build $(FUZZ_BUILD_DIR) -j$(JOBS) --target echolab_fuzzers

fuzz: fuzz-build
	@printf '%s\n' $(FUZZ_INPUTS) | xargs -P $(JOBS) -I{} sh -c '\
	  input={}; dir=$(FUZZ_BUILD_DIR); mkdir -p $$dir/corpus/$$input $$dir/artifacts/$$input; \
	  case " $(FUZZ_JSON_INPUTS) " in *" $$input "*) dict=-dict=fuzz/json.dict;; *) dict=;; esac; \
	  ASAN_OPTIONS=detect_leaks=1 $$dir/$${input}_fuzzer -max_total_time=$(FUZZ_S) -timeout=10 $$dict \
	    -artifact_prefix=$$dir/artifacts/$$input/ -print_final_stats=1 \
	    $$dir/corpus/$$input fuzz/corpus/$$input >$$dir/$$input.log 2>&1 \
	  || { tail -40 $$dir/$$input.log; echo "fuzz: $$input failed (log: $$dir/$$input.log)"; exit 255; }; \
	  echo "fuzz: $$input for $(FUZZ_S) s: $$(grep -E "stat::number_of_executed_units|stat::peak_rss" $$dir/$$input.log | tr "\n" " ")"'

test-fuzz:
	@$(MAKE) --no-print-directory fuzz FUZZ_S=3

# Every model under churn and abusive clients (experiments/soak.py): fds and
# RSS sampled, charts and SOAK.md in results/soak/<stamp>/. SOAK_S seconds in
# all (default 600); `make test` runs 32 (4 s a model: at 24, 3 s a model,
# offload_pool's RSS was still warming up in the last third and failed the
# growth check).
SOAK_S ?= 600
soak: build
	@$(NEED_PY); $(PYTHON) experiments/soak.py --seconds $(SOAK_S) --echolab $(BUILD)/echolab

test-soak: build
	@$(MAKE) --no-print-directory soak SOAK_S=32

# The default experiment: the forum's threadpool slowdown, reproduced and
# explained (experiments/forum-threadpool.md), with a verdict per hypothesis
# computed from the run: 20 cases x 7 repetitions x 4 s, about 10 minutes on
# 2 PUs (7, because Mann-Whitney at 3 against 3 cannot reach p < 0.1).
# REPS=N overrides the spec's repetitions; SPEC=experiments/forum-threadpool-fixes.json
# runs the companion (the replies' designs and the kernel's fixes).
REPS ?=
run: build mio-peer
	@$(BUILD)/echolab run $(SPEC) $(if $(REPS),--repetitions $(REPS)) --plot; rc=$$?; \
	dir=results/$$(basename $(SPEC) .json)/latest; \
	if [ -f $$dir/REPORT.md ]; then echo "report: $$dir/REPORT.md (charts in $$dir/charts/)"; fi; \
	exit $$rc

# The forum's own stack as a peer: peers/mio-forum (Rust, mio 0.6), built
# offline from Debian's cargo, rustc and librust-mio-0.6-dev.
mio-peer: deps
	@peers/mio-forum/build.sh >/dev/null && echo "mio-forum: peers/mio-forum/target/release/mio-forum"

# Charts + REPORT.md for one run (RUN=results/NAME/STAMP) or the latest of each experiment.
RUN ?=
plot: deps
	@$(NEED_PY); $(PYTHON) plot/report.py $(if $(RUN),$(RUN),--all results/)

# Two runs compared point by point (ratio of medians, Mann-Whitney U).
compare: deps
	@test -n "$(A)" -a -n "$(B)" || { echo "usage: make compare A=results/NAME/STAMP B=results/NAME/STAMP"; exit 2; }
	@$(NEED_PY); $(PYTHON) plot/compare.py $(A) $(B)

# Any experiment: make sweep SPEC=experiments/models.json
sweep: build
	$(BUILD)/echolab run $(SPEC) --plot

# Every published claim of experiments/CLAIMS.md, checked on this machine
# (about 17 min): results/claim-*/latest/REPORT.md; CLAIM=NAME runs one.
# The zero-copy claim also runs across two network namespaces (veth) where
# this machine can make them (root, iproute2, sshd), else says why.
claims: build
	@rc=0; for spec in $(if $(CLAIM),experiments/claims/$(CLAIM).json,experiments/claims/*.json); do \
	  $(BUILD)/echolab run $$spec --plot || rc=1; \
	done; \
	if [ -z "$(CLAIM)" ] || [ "$(CLAIM)" = zerocopy ]; then \
	  experiments/run-over-veth.sh experiments/claims/zerocopy.json; veth=$$?; \
	  [ $$veth = 0 ] || [ $$veth = 2 ] || rc=1; \
	fi; $(PYTHON) plot/claims.py results >/dev/null; \
	echo "claims: results/claims-measured.md beside experiments/CLAIMS.md; reports in results/claim-*/latest/REPORT.md"; exit $$rc

# Issue 2's speed check: echolab vs iperf3 and Node.js, interleaved.
speed: build
	@$(call need,iperf3,iperf3); $(call need,node,nodejs)
	bash experiments/speed-baseline.sh

# Loopback vs two hosts on this machine: network namespaces joined by veth,
# reached over ssh (needs root; installs iproute2 and openssh if missing).
HOSTS_REPS ?= 5
hosts-veth: build
	@test "$$(id -u)" = 0 || { echo "$@: creating network namespaces needs root"; exit 1; }
	bash experiments/hosts-veth.sh $(HOSTS_REPS)

# Issue 13's latency checks: rr vs a plain ping-pong client and sockperf,
# timing cost, open loop vs closed loop, a 1 s server stall (~5 min).
speed-latency: build
	@$(call need,sockperf,sockperf)
	bash experiments/speed-latency.sh

# Mechanism micro-benchmarks (harness/micro/README.md): JSON, chart and MICRO.md
# in results/micro/<UTC stamp>/, results/micro/latest pointing there (~1 min).
MICRO_FLAGS ?= --benchmark_min_time=0.2 --benchmark_repetitions=5

micro: build
	@stamp=$$(date -u +%Y%m%dT%H%M%SZ); dir=results/micro/$$stamp; mkdir -p $$dir && \
	$(BUILD)/echolab-micro $(MICRO_FLAGS) --benchmark_out=$$dir/micro.json --benchmark_out_format=json && \
	ln -sfn $$stamp results/micro/latest && \
	$(PYTHON) plot/micro.py $$dir/micro.json

# The README's set-up proven on a Debian 12 root built from nothing with
# debootstrap (tests/fresh/fresh_check.sh: make deps, make, make test-fast
# and a quick run, as root in a chroot); not part of make test.
fresh-check:
	@test "$$(id -u)" = 0 || { echo "$@: needs root (debootstrap, chroot)"; exit 1; }
	@$(call need,debootstrap,debootstrap)
	@bash tests/fresh/fresh_check.sh

format:
	clang-format -i core/*.h core/*.cc models/*.h models/*.cc harness/*/*.h harness/*/*.cc tests/*.cc

clean:
	rm -rf $(BUILD) build-tsan $(FUZZ_BUILD_DIR) build-stages
