#!/bin/sh
# readonly.sh: heapinspect is read-only by construction.  No source names
# a call that writes another process (PTRACE_POKE*, PTRACE_SETREGS and
# friends, process_vm_writev), every ptrace call site uses only SEIZE,
# INTERRUPT or DETACH, and the built binary imports no writing syscall.
. "${HI_SRCDIR:-$(dirname "$0")}/test-subr.sh"

src=$(cd "${HI_SRCDIR:-$(dirname "$0")}/../src" && pwd)
forbidden='PTRACE_POKE(DATA|TEXT|USER)|PTRACE_SET(REGS|FPREGS|REGSET|SIGINFO|OPTIONS)|PTRACE_(CONT|SYSCALL|SINGLESTEP|KILL|ATTACH)\b|process_vm_writev|PM_SCAN_(WP_MATCHING|CHECK_WPASYNC)|/mem", *O_(RDWR|WRONLY)'
grep -nE "$forbidden" "$src"/*.[ch] "$src"/*/*.[ch] >"$WORK/hits"
[ ! -s "$WORK/hits" ]
ok $? "no source names a call that writes to or drives a target" "$WORK/hits"

# Every ptrace( call: the request must be one of the three we allow.
grep -nE '\bptrace *\(' "$src"/*.c "$src"/*/*.c | grep -vE 'ptrace *\( *PTRACE_(SEIZE|INTERRUPT|DETACH) *,' >"$WORK/calls"
[ ! -s "$WORK/calls" ]
ok $? "every ptrace call is PTRACE_SEIZE, PTRACE_INTERRUPT or PTRACE_DETACH" "$WORK/calls"
n=$(grep -cE '\bptrace *\( *PTRACE_' "$src"/*.c "$src"/*/*.c | awk -F: '{s += $2} END {print s}')
[ "$n" -ge 3 ]
ok $? "the check saw the ptrace calls ($n)"

# /proc/PID/mem is opened read-only.
grep -nE '/mem\b' "$src"/*.c "$src"/*/*.c | grep -v 'O_RDONLY' | grep -vE '^\S+:[0-9]+:\s*(/\*|\*)' | grep 'open' >"$WORK/memopen"
[ ! -s "$WORK/memopen" ]
ok $? "/proc/PID/mem is opened O_RDONLY" "$WORK/memopen"

if command -v nm >/dev/null 2>&1 && [ -x "$HEAPINSPECT" ]; then
	nm -D "$HEAPINSPECT" | grep -E ' U (process_vm_writev|ptrace_poke)' >"$WORK/syms"
	[ ! -s "$WORK/syms" ]
	ok $? "the binary imports no process_vm_writev" "$WORK/syms"
	nm -D "$HEAPINSPECT" | grep -qE ' U process_vm_readv'
	ok $? "the binary does import process_vm_readv (the check sees imports)"
else
	skip "binary imports" "nm or the binary is missing"
fi
finish
