# kerntok — top-level build.  One static library per layer so that the link
# order enforces the dependency direction: module/ -> keyring/, kcapi/, tpm/.
CC       ?= gcc
PREFIX   ?= /usr/local
libdir   ?= $(PREFIX)/lib/$(shell $(CC) -print-multiarch 2>/dev/null)
bindir   ?= $(PREFIX)/bin
datadir  ?= $(PREFIX)/share
unitdir  ?= $(PREFIX)/lib/systemd/system
B        ?= build
SAN      ?=
OPT      ?= -O2 -g
CFLAGS   ?=
override CFLAGS += $(OPT) -std=gnu11 -fPIC -Wall -Wextra -Werror -Wno-missing-field-initializers \
            -fvisibility=hidden -D_GNU_SOURCE -Iinclude -I. -Imodule -I$(B)/gen $(SAN)
LDFLAGS  += $(SAN)
LIBS      = -lkeyutils -lkcapi -ltss2-esys -ltss2-tctildr -ltss2-mu -ltss2-rc -lcrypto -lpthread

MOD_SRC  := $(wildcard module/*.c)
KR_SRC   := $(wildcard keyring/*.c)
KC_SRC   := $(wildcard kcapi/*.c)
TP_SRC   := $(wildcard tpm/*.c)
TOOL_SRC := $(wildcard tools/*.c)
TEST_SRC := $(wildcard tests/test_*.c)
TESTLIB  := $(filter-out tests/test_%.c,$(wildcard tests/*.c))

obj = $(patsubst %.c,$(B)/obj/%.o,$(1))
MOD_LIB := $(B)/libkt_module.a
KR_LIB  := $(B)/libkt_keyring.a
KC_LIB  := $(B)/libkt_kcapi.a
TP_LIB  := $(B)/libkt_tpm.a
ALL_LIBS := $(MOD_LIB) $(KR_LIB) $(KC_LIB) $(TP_LIB)
TESTS   := $(patsubst tests/%.c,$(B)/tests/%,$(TEST_SRC))

.PHONY: all deps check asan valgrind demo install check-deps clean unit integration check-kernel bench stress fuzz
all: $(B)/kerntok-pkcs11.so $(B)/kerntok $(TESTS)

deps:
	@tools/deps.sh

# C_* entry points for every caller view, generated from the header's X-list.
$(B)/gen/entry_gen.h: include/pkcs11f.h module/gen/gen-entry.awk
	@mkdir -p $(dir $@)
	awk -f module/gen/gen-entry.awk include/pkcs11f.h > $@.tmp && mv $@.tmp $@

$(call obj,$(MOD_SRC)): $(B)/gen/entry_gen.h

# quiet by default; make V=1 shows the commands
Q := $(if $(V),,@)

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)

$(MOD_LIB): $(call obj,$(MOD_SRC))
$(KR_LIB):  $(call obj,$(KR_SRC))
$(KC_LIB):  $(call obj,$(KC_SRC))
$(TP_LIB):  $(call obj,$(TP_SRC))
$(B)/lib%.a:
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(B)/kerntok-pkcs11.so: $(ALL_LIBS) module/exports.map
	$(CC) -shared -Wl,--version-script=module/exports.map -Wl,-z,defs -Wl,--whole-archive $(MOD_LIB) \
	      -Wl,--no-whole-archive $(KR_LIB) $(KC_LIB) $(TP_LIB) $(LDFLAGS) $(LIBS) -o $@

# whole archive, as for the .so: the mechanism families are reached only
# through weak defaults, which a plain static link would keep instead
$(B)/kerntok: $(call obj,$(TOOL_SRC)) $(ALL_LIBS)
	$(Q)$(CC) $(call obj,$(TOOL_SRC)) -Wl,--whole-archive $(MOD_LIB) -Wl,--no-whole-archive \
	      $(KR_LIB) $(KC_LIB) $(TP_LIB) $(LDFLAGS) $(LIBS) -o $@

$(B)/tests/%: tests/%.c $(call obj,$(TESTLIB)) $(ALL_LIBS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  TEST    $@")
	$(Q)$(CC) $(CFLAGS) -Itests -Ikeyring -Ikcapi -Itpm $< $(call obj,$(TESTLIB)) $(ALL_LIBS) $(LDFLAGS) $(LIBS) -lcunit -ldl -o $@

# Layer rule: nothing below module/ may know PKCS#11.
check-deps:
	@bad=$$(grep -lE '^\s*#\s*include\s*[<"][^>"]*(pkcs11|module/)' keyring/* kcapi/* tpm/*); \
	 if [ -n "$$bad" ]; then echo "layer violation (PKCS#11 below module/): $$bad"; exit 1; fi
	@for l in keyring kcapi tpm; do \
	   bad=$$(grep -lE '^\s*#\s*include\s*"[^"]*(keyring|kcapi|tpm)/' $$l/* | grep -v "^$$l/"); \
	   o=$$(grep -lE "^\s*#\s*include\s*\"\.\./(keyring|kcapi|tpm)" $$l/*); \
	   if [ -n "$$bad$$o" ]; then echo "layer violation (backend includes backend): $$bad $$o"; exit 1; fi; \
	 done
	@echo "check-deps: layers clean"

unit: all
	@tests/run-unit.sh $(B) $(TESTS)

integration: all
	@tests/run-integration.sh $(B)

check: deps check-deps
	$(MAKE) all
	$(MAKE) unit
	$(MAKE) integration
	$(MAKE) fuzz-check
	$(MAKE) check-kernel

# The kernel crypto path (AF_ALG, key by serial) for real, inside a VM with a
# stock Debian 6.12 kernel; prints SKIP with the reason where qemu cannot run.
check-kernel: $(B)/tests/test_kcapi
	@tests/kernel-check.sh $(B)/tests/test_kcapi

asan: deps
	$(MAKE) B=build-asan SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" OPT="-O1 -g" all
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  KT_ASAN=1 tests/run-unit.sh build-asan $(patsubst $(B)/%,build-asan/%,$(TESTS))

# the long stress run; `make unit` runs its ~20 s default
stress: all
	KT_STRESS_SECONDS=300 tests/run-unit.sh $(B) $(B)/tests/test_stress

# headline set, kerntok and SoftHSMv2 against OpenSSL, median of 5 runs.
# The bench tokens (10,000 objects, made once) stay in $(B)/bench-store.
bench: deps $(B)/kerntok $(B)/kerntok-pkcs11.so
	$(B)/kerntok bench --ops headline --raw --module kerntok \
	    --module /usr/lib/softhsm/libsofthsm2.so --runs 5 --seconds 1 \
	    --store $(B)/bench-store --markdown > docs/BENCH.md.tmp
	mv docs/BENCH.md.tmp docs/BENCH.md

valgrind: all
	KT_VALGRIND=1 tests/run-unit.sh $(B) $(TESTS)

demo: deps all
	@tools/demo.sh $(B)

install: $(B)/kerntok-pkcs11.so $(B)/kerntok
	install -d $(DESTDIR)$(libdir)/pkcs11 $(DESTDIR)$(bindir) $(DESTDIR)$(datadir)/p11-kit/modules
	install -m 0644 $(B)/kerntok-pkcs11.so $(DESTDIR)$(libdir)/pkcs11/kerntok-pkcs11.so
	install -m 0755 $(B)/kerntok $(DESTDIR)$(bindir)/kerntok
	printf 'module: %s\n' "$(libdir)/pkcs11/kerntok-pkcs11.so" > $(DESTDIR)$(datadir)/p11-kit/modules/kerntok.module
	sed 's|@bindir@|$(bindir)|g' tools/kerntok-unlock@.service | install -D -m 0644 /dev/stdin $(DESTDIR)$(unitdir)/kerntok-unlock@.service

clean:
	rm -rf build build-asan

# fuzz targets: make fuzz (libFuzzer, FUZZ_SECONDS each), make fuzz-check (corpora once)
include fuzz/fuzz.mk
