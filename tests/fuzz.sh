#!/bin/sh
# fuzz.sh: a bounded run of the walker's fuzzer (scripts/fuzz): libFuzzer
# with ASan and UBSan over mutated memory images of every CPython found,
# and over gcore's cores of the same processes where gdb is installed,
# HEAPINSPECT_FUZZ_SECONDS in all (default 60).  Any crash, leak or
# sanitizer report fails.  Longer runs: see scripts/fuzz.
. "${HI_SRCDIR:-$(dirname "$0")}/test-subr.sh"

secs=${HEAPINSPECT_FUZZ_SECONDS:-60}
fuzz="$HI_SRCDIR/../scripts/fuzz"
probe="$WORK/probe.c"
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' >"$probe"
if ! command -v "${CLANG:-clang}" >/dev/null 2>&1 ||
	! "${CLANG:-clang}" -fsanitize=fuzzer,address,undefined -o "$WORK/probe" "$probe" 2>"$WORK/probe.err"; then
	skip "fuzz the walker" "no clang with libFuzzer (apt-get install clang libclang-rt-14-dev)"
	finish
	exit
fi
"$fuzz" -t "$secs" -o "$WORK/out" >"$WORK/fuzz.out" 2>&1
rc=$?
cat "$WORK/fuzz.out" | sed 's/^/# /'
[ $rc = 0 ]
ok $? "fuzzer exits 0 after ${secs}s (status $rc)" "$WORK/fuzz.out"
n=0
while read -r line; do
	case $line in
	"fuzz: CPython "*) n=$((n + 1))
		case $line in *"no crash"*) r=0 ;; *) r=1 ;; esac
		runs=$(echo "$line" | sed -n 's/.*: \([0-9]*\) runs.*/\1/p')
		[ $r = 0 ] && [ "${runs:-0}" -gt 0 ]
		ok $? "${line#fuzz: }" ;;
	esac
done <"$WORK/fuzz.out"
[ $n -gt 0 ]
ok $? "fuzzed $n image(s) and core(s)"
if command -v gcore >/dev/null; then
	cores=$(grep -c '^fuzz: CPython .* (core): .* no crash' "$WORK/fuzz.out")
	[ "$cores" -gt 0 ]
	ok $? "cores among the inputs ($cores)"
	grep -q '^fuzz: core reader: [1-9][0-9]* runs.* no crash' "$WORK/fuzz.out"
	ok $? "the core reader fuzzed over its headers, notes and length"
fi
total=$(sed -n 's/^fuzz: \([0-9]*\) runs in all/\1/p' "$WORK/fuzz.out")
[ "${total:-0}" -gt 100 ]
ok $? "more than 100 runs in all (${total:-0})"
finish
