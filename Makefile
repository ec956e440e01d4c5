# brig: the two commands the README promises.
#   make demo    build brig and run a real container from a busybox rootfs
#   make check   every test suite; the last line is "N passed, N failed"
# Both install the Debian packages they need (scripts/deps.sh).

BUILD      ?= build
BUILD_ASAN ?= build-asan
BUILD_FUZZ ?= build-fuzz
MESON_FLAGS ?=

.PHONY: all build asan fuzz demo check check-unit check-integration check-fuzz check-vm bench format clean

all: build

build:
	@./scripts/deps.sh build
	@test -f $(BUILD)/build.ninja || meson setup $(BUILD) $(MESON_FLAGS) >$(BUILD).setup.log 2>&1 || \
	    { cat $(BUILD).setup.log; rm -rf $(BUILD); exit 1; }
	@ninja -C $(BUILD) >/dev/null || ninja -C $(BUILD)

# ASan + UBSan variant: same sources, same tests, any report is a failure.
asan:
	@./scripts/deps.sh build check
	@test -f $(BUILD_ASAN)/build.ninja || CC=clang meson setup $(BUILD_ASAN) \
	    -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug \
	    >$(BUILD_ASAN).setup.log 2>&1 || { cat $(BUILD_ASAN).setup.log; rm -rf $(BUILD_ASAN); exit 1; }
	@ninja -C $(BUILD_ASAN) >/dev/null || ninja -C $(BUILD_ASAN)

# libFuzzer harnesses (clang), whose corpora are replayed as regression tests.
fuzz:
	@./scripts/deps.sh build check
	@test -f $(BUILD_FUZZ)/build.ninja || CC=clang meson setup $(BUILD_FUZZ) -Dfuzz=true \
	    -Dtests=false -Db_lundef=false -Dbuildtype=debug \
	    >$(BUILD_FUZZ).setup.log 2>&1 || { cat $(BUILD_FUZZ).setup.log; rm -rf $(BUILD_FUZZ); exit 1; }
	@ninja -C $(BUILD_FUZZ) >/dev/null || ninja -C $(BUILD_FUZZ)

demo: build
	@./scripts/deps.sh demo
	@./scripts/demo.sh $(BUILD)

check:
	@./scripts/deps.sh build check vm
	@$(MAKE) --no-print-directory build asan fuzz
	@./tests/run-all.sh

bench: build
	@./scripts/deps.sh bench
	@./bench/run.sh $(BUILD)
	@./bench/engine.sh $(BUILD)

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_FUZZ)
