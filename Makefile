# rt: init system and container runtime for the droplet.
#
#   make            build build/rtinit and build/rtctl
#   make check      build and run every test suite (ends with "N passed, N failed")
#   make asan       build with AddressSanitizer and UBSan into build/asan
#   make fuzz       run the fuzzers (conf, image JSON, control requests) for FUZZ_SECONDS each (default 60)
#   make bench      benchmarks against umoci, tar, crun, runc, as ratios
#   make deps       install the Debian packages the build, tests and demo need
#   make demo       the main job: build and boot the demo droplet in QEMU (docs/demo.md)
#   make demo-stop  power the demo droplet off cleanly
#   make droplet    build the demo droplet's disks in build/droplet
#   make demo-images  build the real stack's images from Debian packages and npm (docs/demo.md)
#   make install PREFIX=/usr DESTDIR=...   binaries, man pages, bash completion, docs, conf.d

PREFIX     ?= /usr/local
SBINDIR    ?= $(PREFIX)/sbin
SYSCONFDIR ?= /etc
MANDIR     ?= $(PREFIX)/share/man
DOCDIR     ?= $(PREFIX)/share/doc/rt
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
DESTDIR    ?=
BUILD      ?= build
CC         ?= gcc
FUZZ_SECONDS ?= 60

PKGS := libcap libseccomp libmnl libnftnl libarchive inih jansson libcrypto libkmod blkid
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libarchive is linked statically, with only the readers and filters we
# call: the shared library drags in libxml2, ICU and libstdc++, and loading
# them is a third of the start time of `rtctl run`.
ARCHIVE_LIBS := -Wl,-Bstatic -larchive -llzma -lbz2 -Wl,-Bdynamic -lz -lzstd
# libcrypto is linked statically too: only its SHA-256 is used
# (images/digest.c), a few KiB, where the shared library is 1.4 MB of
# pages in every process, PID 1 included.
CRYPTO_LIBS := -Wl,-Bstatic -lcrypto -Wl,-Bdynamic
# libkmod is opened with dlopen by PID 1 for the boot only (init/pid1.c).
PKG_LIBS   := -Wl,--as-needed $(shell pkg-config --libs $(filter-out libarchive libcrypto libkmod,$(PKGS)) 2>/dev/null) \
              $(ARCHIVE_LIBS) $(CRYPTO_LIBS)
VERSION    := $(shell git describe --always --dirty 2>/dev/null || echo dev)

WARN    := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral -Wstrict-prototypes -Wmissing-prototypes
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -pthread $(WARN) -D_GNU_SOURCE -fno-strict-aliasing -fstack-protector-strong \
           -DRT_VERSION='"$(VERSION)"' $(PKG_CFLAGS) $(EXTRA_CFLAGS)
LDFLAGS += -pthread $(EXTRA_LDFLAGS)
LDLIBS  += $(PKG_LIBS)
DEPFLAGS = -MMD -MP

LIB_SRC   := $(sort $(wildcard lib/*.c config/*.c images/*.c runtime/*.c netns/*.c))
# The containers' init (runtime/ctrinit/main.c, `init = true`) is its own
# static program, embedded in the library by runtime/ctrinit/blob.S.
CTRINIT_OBJ := $(BUILD)/obj/runtime/ctrinit/blob.o
RTCTL_SRC := $(sort $(wildcard rtctl/*.c))
RTINIT_SRC:= $(sort $(wildcard init/*.c))
UNIT_SRC  := $(sort $(wildcard tests/unit/*.c))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

LIB_OBJ   := $(call obj,$(LIB_SRC)) $(CTRINIT_OBJ)
RTCTL_OBJ := $(call obj,$(RTCTL_SRC))
RTINIT_OBJ:= $(call obj,$(RTINIT_SRC))
# the unit tests link the supervisor's pure decisions too (init/decide.c)
UNIT_OBJ  := $(call obj,$(UNIT_SRC)) $(call obj,init/decide.c)

.PHONY: all check check-qemu asan fuzz deps demo demo-stop droplet demo-images install clean unit bench
.DEFAULT_GOAL := all

all: $(BUILD)/rtinit $(BUILD)/rtctl

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DEPFLAGS) -c $< -o $@

# The seccomp cache keys the default profile by this file's hash.
$(BUILD)/obj/runtime/seccomp.o: CFLAGS += -DRT_SECCOMP_ID='"$(shell sha256sum runtime/seccomp.c | cut -c1-16)"'

# The containers' init runs in any image, with or without a libc: static.
# musl (musl-tools) makes it about 30 KiB, a copy of which each container
# with `init = true` holds in a memfd; glibc -static, the fallback when
# musl-gcc is missing, about 700 KiB. None of CFLAGS: no sanitizer or
# library of ours belongs in it.
CTRINIT_CC ?= $(if $(shell command -v musl-gcc 2>/dev/null),musl-gcc,$(CC))
$(BUILD)/ctrinit: runtime/ctrinit/main.c
	@mkdir -p $(dir $@)
	$(CTRINIT_CC) -static -Os -s -std=gnu11 $(WARN) -ffunction-sections -fdata-sections -Wl,--gc-sections -o $@ $<

$(CTRINIT_OBJ): runtime/ctrinit/blob.S $(BUILD)/ctrinit
	@mkdir -p $(dir $@)
	$(CC) -c -DCTRINIT_PATH='"$(BUILD)/ctrinit"' -o $@ $<

$(BUILD)/librt.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/rtctl: $(RTCTL_OBJ) $(BUILD)/librt.a
	$(CC) $(LDFLAGS) $(CFLAGS) -o $@ $(RTCTL_OBJ) $(BUILD)/librt.a $(LDLIBS)

$(BUILD)/rtinit: $(RTINIT_OBJ) $(BUILD)/librt.a
	$(CC) $(LDFLAGS) $(CFLAGS) -o $@ $(RTINIT_OBJ) $(BUILD)/librt.a $(LDLIBS)

$(BUILD)/unit-tests: $(UNIT_OBJ) $(BUILD)/librt.a
	$(CC) $(LDFLAGS) $(CFLAGS) -o $@ $(UNIT_OBJ) $(BUILD)/librt.a $(LDLIBS)

unit: $(BUILD)/unit-tests

# bench/network.sh's driver: rtinit's network set-up, timed
$(BUILD)/netbench: $(call obj,bench/netbench.c) $(BUILD)/librt.a
	$(CC) $(LDFLAGS) $(CFLAGS) -o $@ $(call obj,bench/netbench.c) $(BUILD)/librt.a $(LDLIBS)

# The test runner takes the build directory to test from BUILD; CI adds
# CHECK_ASAN=1 (run the suites again under ASan+UBSan) and FUZZ_SECONDS.
check: all unit
	@if [ "$(CHECK_ASAN)" = 1 ]; then $(MAKE) --no-print-directory asan >/dev/null; fi
	@BUILD=$(BUILD) CHECK_ASAN=$(CHECK_ASAN) FUZZ=$(FUZZ) FUZZ_SECONDS=$(FUZZ_SECONDS) bash tests/run

# The real stack in the droplet under QEMU (tests/qemu/stack.sh): part of
# `make check`, and alone here.
check-qemu: all
	@BUILD=$(BUILD) bash tests/qemu/stack.sh

asan:
	$(MAKE) BUILD=build/asan CC=gcc \
	    EXTRA_CFLAGS="-O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	    EXTRA_LDFLAGS="-fsanitize=address,undefined" all unit

# libFuzzer needs clang; each fuzz target links the same library sources.
# `make fuzz` runs every target for FUZZ_SECONDS.
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -std=gnu11 -D_GNU_SOURCE $(PKG_CFLAGS)
FUZZ_TARGETS := conf oci proto
$(BUILD)/fuzz/fuzz-%: tests/fuzz/fuzz_%.c $(LIB_SRC) $(CTRINIT_OBJ) $(wildcard lib/*.h config/*.h images/*.h)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $< $(LIB_SRC) $(CTRINIT_OBJ) $(PKG_LIBS)

fuzz: $(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz-%)
	@set -e; for t in $(FUZZ_TARGETS); do \
	    mkdir -p $(BUILD)/fuzz/corpus-$$t; \
	    seeds=tests/fuzz/seeds; [ $$t = conf ] || seeds=tests/fuzz/seeds-$$t; \
	    dict=; [ -f tests/fuzz/$$t.dict ] && dict=-dict=tests/fuzz/$$t.dict; \
	    echo "fuzz-$$t: $(FUZZ_SECONDS)s"; \
	    $(BUILD)/fuzz/fuzz-$$t -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -timeout=10 $$dict \
	        $(BUILD)/fuzz/corpus-$$t $$seeds 2>&1 | tail -n 3; \
	done

# Benchmarks print ratios against other tools measured in the same run.
bench: all
	bash bench/images.sh
	bash bench/runtime.sh
	bash bench/supervisor.sh
	bash bench/network.sh

deps:
	bash tools/deps.sh

demo: all
	bash tools/demo.sh

demo-stop:
	bash tools/droplet/stop.sh $(CURDIR)/$(BUILD)/droplet

droplet: all
	bash tools/droplet/build.sh $(CURDIR)/$(BUILD)/droplet

# The demo stack's images, cached by their inputs (images/demo/build.sh):
# OCI layouts linked from $(BUILD)/demo-images, for `rtctl image import`.
demo-images:
	bash images/demo/build.sh all $(BUILD)/demo-images

# The binaries, the man pages (docs/man: rtctl(8), rtinit(8), rt.conf(5)),
# bash's completion of rtctl (tools/completion), the documents the man
# pages point to, and the shipped conf.d.
install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(SYSCONFDIR)/rt/conf.d $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(DOCDIR)
	install -m 0755 $(BUILD)/rtinit $(BUILD)/rtctl $(DESTDIR)$(SBINDIR)/
	install -m 0644 docs/man/rtctl.8 docs/man/rtinit.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 docs/man/rt.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 tools/completion/rtctl.bash $(DESTDIR)$(BASHCOMPDIR)/rtctl
	install -m 0644 README.md docs/*.md $(DESTDIR)$(DOCDIR)/
	@# Never overwrite a service file the administrator already has.
	@for f in conf.d/*.conf; do \
	    d=$(DESTDIR)$(SYSCONFDIR)/rt/conf.d/$$(basename $$f); \
	    if [ -e "$$d" ]; then echo "kept existing $$d"; else install -m 0644 $$f "$$d"; echo "installed $$d"; fi; \
	done

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(RTCTL_OBJ:.o=.d) $(RTINIT_OBJ:.o=.d) $(UNIT_OBJ:.o=.d)
