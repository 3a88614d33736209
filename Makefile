# gofdfs: FastDFS tracker and storage servers in Go.
GO        ?= go
BIN       := bin
PREFIX    ?= /usr
CONFDIR   ?= /etc/fdfs
UNITDIR   ?= /etc/systemd/system
FUZZTIME  ?= 20s
# Packages whose state is shared across goroutines run under the race detector.
RACE_PKGS := ./client/... ./server/... ./diskio/...
TOOLS     := $(notdir $(wildcard tools/fdfs_*))

.PHONY: all build test lint vet fmt-check portable fuzz bench run install clean faults

all: build

build:
	@mkdir -p $(BIN)
	@# one go build for every tool: the links run in parallel
	$(GO) build -trimpath -o $(BIN)/ $(addprefix ./tools/,$(TOOLS))

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l . | grep -v '^vendor/' || true); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

lint: vet fmt-check

# The SDK (client, codec, conf) builds for the systems its users run on, not
# only for the Linux the servers need.
PORTABLE_OS  := windows darwin
PORTABLE_PKG := ./client/ ./codec/ ./conf/
portable:
	@for os in $(PORTABLE_OS); do \
		echo "GOOS=$$os $(GO) build $(PORTABLE_PKG)"; \
		GOOS=$$os $(GO) build $(PORTABLE_PKG) || exit 1; \
	done

# Unit, golden, integration and fuzz-seed tests (seed corpora run as plain tests).
# The race detector covers the packages that share state across goroutines;
# the rest run without it to stay inside CI's time budget.
test: lint build portable
	$(GO) test -count=1 -timeout 10m $$($(GO) list ./... | grep -v -E '/(client|server|diskio)(/|$$)')
	@race=$$($(GO) list $(RACE_PKGS) 2>/dev/null); \
	if [ -n "$$race" ]; then $(GO) test -race -count=1 -timeout 12m $$race; fi

# Each fuzz target for FUZZTIME (go test allows one -fuzz target per run);
# minimising a crasher is capped at 5 s so large seeds (state files) do not
# eat the budget.
fuzz:
	@for pkg in $$($(GO) list ./...); do \
		dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
		for f in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | sed 's/^func //'); do \
			echo "== $$pkg $$f"; \
			$(GO) test $$pkg -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 5s || exit 1; \
		done; \
	done

# The standard set of fdfs_bench steps against our own cluster on loopback
# (tracker + a two-storage group, separate processes), with the limit probes
# and the Go micro-benchmarks of the hot paths, written into the generated
# section of BENCHMARKS.md. BENCH_NOTE marks the figures provisional;
# BENCH_NET is the loopback /24 the cluster uses; BENCH_WORK, if set, is the
# cluster's data directory, kept after the run (best a new one): on ext4 a new top-level
# directory lands in a fresh inode area, whereas under a busy /tmp small-file
# creates pay for recently deleted inodes (see BENCHMARKS.md, method).
BENCH_NET   ?= 127.0.8
BENCH_WORK  ?=
BENCH_MICRO ?= ./codec/ ./diskio/ ./server/storage/ ./server/tracker/ ./bench/
BENCH_NOTE  ?=
# Side by side with C FastDFS (FDFS_C_BIN, or a C fdfs_trackerd on PATH): auto runs it when C is
# found (a C cluster and one of ours, alternating runs, ours/C and the targets of issue 13),
# off skips it, only runs nothing else.
BENCH_SBS   ?= auto
bench: build
	$(BIN)/fdfs_bench suite -bin $(BIN) -md BENCHMARKS.md -net $(BENCH_NET) $(if $(BENCH_WORK),-work $(BENCH_WORK)) -micro "$(BENCH_MICRO)" -provisional "$(BENCH_NOTE)" -sbs $(BENCH_SBS)

# The reliability suite (server/faults) at full size: kill -9, disk full,
# vanishing store paths, malformed frames, skewed clocks, 10,000 connections and a SOAK
# long soak, ending with its table; then every fuzz target for
# FAULTS_FUZZTIME, a count: a duration trips go.dev/issue/75804 (a spurious
# "context deadline exceeded" at the deadline, fixed only in Go 1.27).
# `make test` runs the same scenarios small.
SOAK            ?= 10m
FAULTS_FUZZTIME ?= 1000x
faults:
	$(GO) test -count=1 -timeout 45m -v ./server/faults -faults.full -faults.soak $(SOAK)
	@$(MAKE) --no-print-directory fuzz FUZZTIME=$(FAULTS_FUZZTIME)

# One tracker and one storage on loopback with the bundled confs, in the
# foreground; Ctrl-C stops both.
run: build
	@test -x $(BIN)/fdfs_trackerd -a -x $(BIN)/fdfs_storaged || \
		{ echo "make run needs bin/fdfs_trackerd and bin/fdfs_storaged (tools/ issue)"; exit 1; }
	@bash tools/run.sh $(BIN)

# Where C's packages put things: the binaries in /usr/bin, the confs in
# /etc/fdfs. The confs go in as *.sample and never overwrite an operator's.
install: build
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(CONFDIR)
	install -m 0755 $(addprefix $(BIN)/,$(TOOLS)) $(DESTDIR)$(PREFIX)/bin/
	for c in tracker storage client; do install -m 0644 conf/$$c.conf $(DESTDIR)$(CONFDIR)/$$c.conf.sample || exit 1; done
	install -d $(DESTDIR)$(UNITDIR)
	install -m 0644 conf/systemd/fdfs_trackerd.service conf/systemd/fdfs_storaged.service $(DESTDIR)$(UNITDIR)/

clean:
	rm -rf $(BIN)
