# brig: the two commands the README promises.
#   make demo    build brig and run a real container from a busybox rootfs
#   make check   every test suite; the last line is "N passed, N failed"
# Both install the Debian packages they need (scripts/deps.sh).
#   make install / uninstall   brig, brig-runtime and policy/brig.cil under
#                              PREFIX (/usr/local), DESTDIR honoured

BUILD      ?= build
BUILD_ASAN ?= build-asan
BUILD_FUZZ ?= build-fuzz
MESON_FLAGS ?=
PREFIX     ?= /usr/local
DESTDIR    ?=
# The unit tests (cmocka): auto builds them where cmocka is installed, so
# `make demo` needs no test package; check-build forces them on.
TESTS      ?= auto
# ninja targets per build (empty: everything); tests/fresh builds a few
# sanitized and fuzz targets, enough to prove clang and its runtimes link.
BUILD_TARGETS ?=
ASAN_TARGETS  ?=
FUZZ_TARGETS  ?=

.PHONY: all build asan fuzz demo check check-build check-unit check-integration check-fuzz check-vm bench format clean install uninstall

all: build

build:
	@./scripts/deps.sh build
	@test -f $(BUILD)/build.ninja || meson setup $(BUILD) --prefix=$(PREFIX) -Dtests=$(TESTS) $(MESON_FLAGS) \
	    >$(BUILD).setup.log 2>&1 || { cat $(BUILD).setup.log; rm -rf $(BUILD); exit 1; }
	@[ "$(TESTS)" = auto ] || ./scripts/meson-options.sh $(BUILD) tests=$(TESTS)
	@ninja -C $(BUILD) $(BUILD_TARGETS) >/dev/null || ninja -C $(BUILD) $(BUILD_TARGETS)

# ASan + UBSan variant: same sources, same tests, any report is a failure.
asan:
	@./scripts/deps.sh build check
	@test -f $(BUILD_ASAN)/build.ninja || CC=clang meson setup $(BUILD_ASAN) \
	    -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug -Dtests=enabled \
	    >$(BUILD_ASAN).setup.log 2>&1 || { cat $(BUILD_ASAN).setup.log; rm -rf $(BUILD_ASAN); exit 1; }
	@./scripts/meson-options.sh $(BUILD_ASAN) tests=enabled
	@ninja -C $(BUILD_ASAN) $(ASAN_TARGETS) >/dev/null || ninja -C $(BUILD_ASAN) $(ASAN_TARGETS)

# libFuzzer harnesses (clang), whose corpora are replayed as regression tests.
fuzz:
	@./scripts/deps.sh build check
	@test -f $(BUILD_FUZZ)/build.ninja || CC=clang meson setup $(BUILD_FUZZ) -Dfuzz=true \
	    -Dtests=disabled -Db_lundef=false -Dbuildtype=debug \
	    >$(BUILD_FUZZ).setup.log 2>&1 || { cat $(BUILD_FUZZ).setup.log; rm -rf $(BUILD_FUZZ); exit 1; }
	@./scripts/meson-options.sh $(BUILD_FUZZ) tests=disabled
	@ninja -C $(BUILD_FUZZ) $(FUZZ_TARGETS) >/dev/null || ninja -C $(BUILD_FUZZ) $(FUZZ_TARGETS)

demo: build
	@./scripts/deps.sh demo
	@./scripts/demo.sh $(BUILD)

check:
	@./scripts/deps.sh build check vm
	@$(MAKE) --no-print-directory check-build
	@./tests/run-all.sh

# The three builds the suites run, with the unit tests forced on: a build
# dir that `make demo` configured before cmocka was installed gets them too.
# tests/fresh runs this (after `deps.sh build check`) on a fresh root.
check-build:
	@$(MAKE) --no-print-directory build asan fuzz TESTS=enabled

# Through meson's install targets (install: true, install_data), so the list
# of what is installed lives beside what is built; uninstall removes what
# meson logged at install (meson-logs/install-log.txt).
install: build
	@./scripts/meson-options.sh $(BUILD) prefix=$(PREFIX)
	@DESTDIR="$(DESTDIR)" meson install -C $(BUILD) --quiet

uninstall:
	@DESTDIR="$(DESTDIR)" ninja -C $(BUILD) uninstall

bench: build
	@./scripts/deps.sh bench
	@./bench/run.sh $(BUILD)
	@./bench/engine.sh $(BUILD)

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_FUZZ)
