# fuzz/fuzz.mk - fuzzing kerntok's parsers and the template rules.
# Included from the top Makefile (`include fuzz/fuzz.mk`); uses its LIBS and
# its own rules (sub-makes with another B) to build the layers' libraries
# with the right compiler and sanitizers.
#
#   make fuzz          clang + libFuzzer + ASan/UBSan; runs every target for
#                      FUZZ_SECONDS (default 60) on tests/corpus/<target>/
#                      (new inputs go to $(FUZZ_B)/corpus/<target>/, crashes
#                      to $(FUZZ_B)/artifacts/); figures in $(FUZZ_B)/summary.txt
#   make fuzz-check    gcc + ASan/UBSan: fuzz/driver.c replays each target's
#                      committed corpus once (seconds; meant for `make check`)
#   make fuzz-corpus   regenerates the seed inputs (fuzz/gen_corpus.c)
#   make fuzz-build    only builds the libFuzzer binaries
# FUZZ_TARGETS=objcodec,meta limits fuzz / fuzz-check to some targets.

FUZZ_ALL     := attrs_decode objcodec meta template tpblob module_create
FUZZ_TARGETS ?= $(FUZZ_ALL)
FUZZ_T        = $(subst $(comma), ,$(FUZZ_TARGETS))
comma        := ,
FUZZ_SECONDS ?= 60
FUZZ_B       ?= build-fuzz
FUZZ_CHECK_B ?= build-fuzzcheck
FUZZ_CC      ?= clang
FUZZ_SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
FUZZ_INC      = -std=gnu11 -D_GNU_SOURCE -Iinclude -I. -Imodule -Ikeyring -Ikcapi -Itpm -Ifuzz
fuzz_libs     = $(1)/libkt_module.a $(1)/libkt_keyring.a $(1)/libkt_kcapi.a $(1)/libkt_tpm.a
FUZZ_ENV     := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=1 \
                UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

.PHONY: fuzz fuzz-build fuzz-check fuzz-corpus fuzz-libs fuzz-check-libs

# The layers' libraries, once per flavour (OPT and SAN: see the Makefile).
fuzz-libs:
	@$(MAKE) --no-print-directory B=$(FUZZ_B) CC=$(FUZZ_CC) OPT="-O1 -g" \
	  SAN="-fsanitize=fuzzer-no-link $(FUZZ_SAN)" $(call fuzz_libs,$(FUZZ_B))

fuzz-check-libs:
	@$(MAKE) --no-print-directory B=$(FUZZ_CHECK_B) CC=$(CC) OPT="-O1 -g" \
	  SAN="$(FUZZ_SAN)" $(call fuzz_libs,$(FUZZ_CHECK_B))

fuzz-build: fuzz-libs
	@mkdir -p $(FUZZ_B)/fuzz
	@for t in $(FUZZ_T); do \
	  echo "  FUZZ  $(FUZZ_B)/fuzz/fuzz_$$t"; \
	  $(FUZZ_CC) -O1 -g $(FUZZ_INC) -I$(FUZZ_B)/gen -fsanitize=fuzzer $(FUZZ_SAN) \
	    fuzz/fuzz_$$t.c $(call fuzz_libs,$(FUZZ_B)) $(LIBS) -o $(FUZZ_B)/fuzz/fuzz_$$t || exit 1; \
	done

fuzz: fuzz-build
	@mkdir -p $(FUZZ_B)/artifacts
	@: > $(FUZZ_B)/summary.txt
	@fail=0; for t in $(FUZZ_T); do \
	  mkdir -p $(FUZZ_B)/corpus/$$t; \
	  echo "  RUN   fuzz_$$t for $(FUZZ_SECONDS) s"; \
	  $(FUZZ_ENV) $(FUZZ_B)/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=20 \
	    -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix=$(FUZZ_B)/artifacts/$$t- \
	    $(FUZZ_B)/corpus/$$t tests/corpus/$$t > $(FUZZ_B)/fuzz_$$t.log 2>&1 || fail=1; \
	  fuzz/summary.sh $$t $(FUZZ_B)/fuzz_$$t.log $(FUZZ_B)/artifacts | tee -a $(FUZZ_B)/summary.txt; \
	done; \
	if [ $$fail = 1 ]; then echo "fuzz: FAILED (logs and crashers in $(FUZZ_B)/)"; exit 1; fi

fuzz-check: fuzz-check-libs
	@mkdir -p $(FUZZ_CHECK_B)/fuzz
	@for t in $(FUZZ_T); do \
	  $(CC) -O1 -g $(FUZZ_INC) -I$(FUZZ_CHECK_B)/gen $(FUZZ_SAN) fuzz/driver.c fuzz/fuzz_$$t.c \
	    $(call fuzz_libs,$(FUZZ_CHECK_B)) $(LIBS) -o $(FUZZ_CHECK_B)/fuzz/check_$$t || exit 1; \
	  $(FUZZ_ENV) $(FUZZ_CHECK_B)/fuzz/check_$$t tests/corpus/$$t || exit 1; \
	done

fuzz-corpus: $(ALL_LIBS)
	@mkdir -p $(B)/fuzz
	$(CC) -O1 -g $(FUZZ_INC) -I$(B)/gen fuzz/gen_corpus.c $(ALL_LIBS) $(LIBS) -o $(B)/fuzz/gen_corpus
	$(B)/fuzz/gen_corpus tests/corpus
