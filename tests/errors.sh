#!/bin/sh
# errors.sh: every failure gives one line with the pid, what failed and
# the remedy, the right exit status, and leaves the target running.
. "${HI_SRCDIR:-$(dirname "$0")}/test-subr.sh"

out=$WORK/out
err=$WORK/err
hi() { "$HEAPINSPECT" "$@" >"$out" 2>"$err"; }
one_line() { [ "$(wc -l <"$err")" = 1 ]; }

# ---- usage errors: exit 2 ----
for args in "attach" "attach notapid" "attach 0" "attach 1 -e" "bogus" "run" "run -e heap" "run --" "attach 1 run" "-f"; do
	# shellcheck disable=SC2086
	hi $args
	rc=$?
	[ $rc = 2 ] && grep -q "heapinspect: " "$err"
	ok $? "usage error '$args' exits 2 with a message (got $rc)" "$err"
done
hi --help
[ $? = 0 ] && grep -q '^Usage: heapinspect attach PID' "$out"
ok $? "--help prints usage and exits 0" "$out"
hi --version
[ $? = 0 ] && grep -Eq '^heapinspect [0-9]+\.[0-9]+' "$out"
ok $? "--version prints the version and exits 0" "$out"

# ---- files that never end or are far too big: refused at once ----
hi_t() { timeout 20 "$HEAPINSPECT" "$@" >"$out" 2>"$err"; }
hi_t -f /dev/zero
rc=$?
[ $rc = 2 ] && one_line && grep -q 'script /dev/zero is a device' "$err"
ok $? "-f /dev/zero: exit 2 at once (got $rc)" "$err"
hi_t -e 'diff -from /dev/zero'
rc=$?
[ $rc = 1 ] && one_line && grep -q 'saved census /dev/zero is not a regular file' "$err"
ok $? "diff -from /dev/zero: exit 1 at once (got $rc)" "$err"
hi_t -e "plot /dev/zero -out $WORK/z.svg"
rc=$?
[ $rc = 1 ] && one_line && grep -q 'watch file /dev/zero is not a regular file' "$err"
ok $? "plot /dev/zero: exit 1 at once (got $rc)" "$err"
truncate -s 300M "$WORK/huge.census"
hi_t -e "diff -from $WORK/huge.census"
rc=$?
[ $rc = 1 ] && one_line && grep -q 'is 300.0 MiB, more than the 256 MiB' "$err"
ok $? "diff -from a 300 MiB file: refused unread (got $rc)" "$err"
rm -f "$WORK/huge.census"
echo 'puts fifo-ok' >"$WORK/script.tcl"
hi_t -f /dev/stdin <"$WORK/script.tcl"
[ $? = 0 ] && grep -q fifo-ok "$out"
ok $? "-f /dev/stdin still runs a script" "$err"

# ---- no such process ----
nopid=$(( $(cat /proc/sys/kernel/pid_max) - 1 ))
while [ -d "/proc/$nopid" ]; do nopid=$((nopid - 1)); done
hi attach "$nopid" -e heap
rc=$?
[ $rc = 3 ] && one_line && grep -q "pid $nopid: no such process" "$err"
ok $? "a pid with no process exits 3: no such process (got $rc)" "$err"

# ---- not a CPython process ----
start_target sleeper sh -c 'echo ready; exec sleep 300'
spid=$pid
hi attach "$spid" -e heap
rc=$?
[ $rc = 5 ] && one_line && grep -q "pid $spid: not a CPython process" "$err"
ok $? "a non-Python process exits 5: not a CPython process (got $rc)" "$err"
running "$spid"
ok $? "the non-Python process runs on (state $(state "$spid"))"

py=$(target_python)
if [ -z "$py" ]; then
	skip "Python targets" "no python3 found"
	finish
	exit
fi
start_target pytarget "$py" -c 'import sys; print("ready", flush=True); sys.stdin.readline()'
ppid_=$pid

# ---- no debug information ----
if [ "$py" = /usr/bin/python3.11 ]; then
	# No DWARF, and no answers kept from an earlier attach to this build.
	HEAPINSPECT_CACHE_DIR= HEAPINSPECT_DEBUGINFO_PATH=/nonexistent hi attach "$ppid_" -e heap
	rc=$?
	[ $rc = 6 ] && one_line && grep -q "pid $ppid_: no debug information for /usr/bin/python3.11" "$err" &&
		grep -q "apt-get install python3.11-dbg" "$err" && grep -q DEBUGINFOD_URLS "$err"
	ok $? "a Python without debug info exits 6 and names python3.11-dbg (got $rc)" "$err"
	running "$ppid_"
	ok $? "the target runs on after the debug-info error (state $(state "$ppid_"))"

	# ---- the DWARF's answers kept per build id ----
	cache="$WORK/dwcache"
	HEAPINSPECT_CACHE_DIR="$cache" hi attach "$ppid_" -e 'heap -format json' -e info
	rc=$?
	cp "$out" "$WORK/dwarf.out"
	file=$(ls "$cache"/*.dwarf 2>/dev/null)
	[ $rc = 0 ] && [ -n "$file" ] && head -1 "$file" | grep -q '^heapinspect-dwarf-cache 1 [0-9a-f]*$' &&
		! grep -q 'layouts from:' "$out"
	ok $? "a first attach reads the DWARF and keeps its answers in a file named by the build id ($file)" "$err"
	HEAPINSPECT_CACHE_DIR="$cache" HEAPINSPECT_DEBUGINFO_PATH=/nonexistent hi attach "$ppid_" -e 'heap -format json' -e info
	rc=$?
	[ $rc = 0 ] && grep -q "^layouts from: its answers kept in $file\$" "$out" &&
		[ "$(head -1 "$out")" = "$(head -1 "$WORK/dwarf.out")" ]
	ok $? "the next attach to the build takes its layouts from them, debug info hidden, and the census is the same (rc $rc)" "$err$(head -c 300 "$out")"
	# A question the file lacks, with the DWARF gone: refused, naming it.
	grep -v "^sizeof$(printf '\037')PyObject	" "$file" > "$file.new" && mv "$file.new" "$file"
	HEAPINSPECT_CACHE_DIR="$cache" HEAPINSPECT_DEBUGINFO_PATH=/nonexistent hi attach "$ppid_" -e heap
	rc=$?
	[ $rc = 6 ] && one_line && grep -q 'lack "sizeof PyObject" and its debug information cannot be read' "$err"
	ok $? "answers that lack a question, with the debug info gone, are refused with exit 6 (got $rc)" "$err"
	# A file of another build or format is not trusted: the DWARF is read.
	sed -i '1s/ [0-9a-f]*$/ 0123456789abcdef/' "$file"
	echo "sizeof$(printf '\037')PyObject	999" >> "$file"
	HEAPINSPECT_CACHE_DIR="$cache" hi attach "$ppid_" -e 'heap -format json' -e info
	rc=$?
	[ $rc = 0 ] && [ "$(head -1 "$out")" = "$(head -1 "$WORK/dwarf.out")" ] && ! grep -q 'layouts from:' "$out" &&
		head -1 "$file" | grep -qv 0123456789abcdef && ! grep -q '	999$' "$file"
	ok $? "a file naming another build is ignored and rewritten from the DWARF (rc $rc)" "$err"
	running "$ppid_"
	ok $? "the target runs on (state $(state "$ppid_"))"
else
	skip "no debug information" "needs Debian's /usr/bin/python3.11"
fi

# ---- a process of the same user that made itself not dumpable ----
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1; then
	nobody="setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all"
	# shellcheck disable=SC2086
	start_target undumpable $nobody "$py" -c 'import ctypes, sys
ctypes.CDLL(None).prctl(4, 0)   # PR_SET_DUMPABLE
print("ready", flush=True); sys.stdin.readline()'
	# shellcheck disable=SC2086
	$nobody "$HEAPINSPECT" attach "$pid" -e heap >"$out" 2>"$err"
	rc=$?
	[ $rc = 4 ] && one_line && grep -q "pid $pid: cannot attach: operation not permitted: the process is not dumpable" "$err" &&
		! grep -q "container" "$err"
	ok $? "a same-user target that is not dumpable is called so, not a container limit (exit $rc)" "$err"
else
	skip "not dumpable" "needs root and setpriv"
fi

# ---- permission: another user without CAP_SYS_PTRACE ----
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1; then
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all \
		"$HEAPINSPECT" attach "$ppid_" -e heap >"$out" 2>"$err"
	rc=$?
	[ $rc = 4 ] && one_line && grep -q "pid $ppid_: cannot attach: operation not permitted" "$err" &&
		grep -Eq "uid 0|CAP_SYS_PTRACE|ptrace_scope" "$err"
	ok $? "an unprivileged user gets the reason and a remedy, exit 4 (got $rc)" "$err"
	running "$ppid_"
	ok $? "the target runs on after the permission error (state $(state "$ppid_"))"
else
	skip "permission denied" "needs root and setpriv"
fi

# ---- already traced by another tracer ----
# trace_with STRACE: start STRACE on the target; spid_ is its pid once
# the target's status names it as the tracer.
trace_with() {
	"$1" -p "$ppid_" -o /dev/null 2>/dev/null &
	spid_=$!
	TARGETS="$TARGETS $spid_"
	for _ in $(seq 100); do
		grep -q "TracerPid:[[:space:]]*$spid_" "/proc/$ppid_/status" 2>/dev/null && break
		sleep 0.05
	done
}
# untrace: stop that tracer and wait until the target runs again.
untrace() {
	kill "$spid_" 2>/dev/null
	wait "$spid_" 2>/dev/null
	for _ in $(seq 50); do running "$ppid_" && break; sleep 0.05; done
}
if command -v strace >/dev/null 2>&1; then
	trace_with strace
	hi attach "$ppid_" -e heap
	rc=$?
	[ $rc = 4 ] && one_line && grep -q "already traced by pid $spid_ (strace)" "$err"
	ok $? "a process traced by strace: the error names the tracer, exit 4 (got $rc)" "$err"
	untrace
	running "$ppid_"
	ok $? "the target runs on after the tracer conflict (state $(state "$ppid_"))"
	# A tracer whose name is a terminal escape (OSC): shown escaped.
	esc=$(printf '\033]2;PWN\007')
	cp "$(command -v strace)" "$WORK/$esc"
	trace_with "$WORK/$esc"
	hi attach "$ppid_" -e heap
	rc=$?
	[ $rc = 4 ] && one_line && grep -qF 'already traced by pid '"$spid_"' (\e]2;PWN\x07)' "$err" &&
		! grep -q "$(printf '\033')" "$err"
	ok $? "a tracer named with an escape sequence: named escaped, no ESC reaches the terminal (got $rc)" "$err"
	untrace
else
	skip "already traced" "strace not installed"
fi

# ---- control characters from the target or the user: never raw ----
escdir="$WORK/bin$(printf '\033]0;PWN\007\233')"
mkdir -p "$escdir"
cp "$(readlink -f "$py")" "$escdir/python3"
start_target escexe "$escdir/python3" -c 'import sys; print("ready", flush=True); sys.stdin.readline()'
hi attach "$pid" -e info -e "diff -from {$escdir/none}"
rc=$?
grep -q '^executable: .*bin?\]0;PWN??/python3' "$out" && ! grep -q "$(printf '\033')" "$out" "$err" &&
	grep -qF 'bin\e]0;PWN\x07\x9b/none' "$err"
ok $? "an executable path and a file name with ESC, BEL and CSI: info shows them as ?, errors escaped (rc $rc)" \
	"$(cat "$out" "$err" | od -c | head -20)"

# ---- a Tcl error in the script: exit 1, target running ----
hi attach "$ppid_" -e 'heap -format nonsense'
rc=$?
[ $rc = 1 ] && grep -q 'heap: -format "nonsense" is not known: must be table, json, csv or tcl; usage: heap ' "$err"
ok $? "a bad option value exits 1 with the choices and the usage" "$err"
running "$ppid_"
ok $? "the target runs on after a script error (state $(state "$ppid_"))"

# ---- the target exits between two commands ----
start_target doomed "$py" -c 'import sys; print("ready", flush=True); sys.stdin.readline()'
dpid=$pid
# Killed from the script itself, between the two commands: no race.
hi attach "$dpid" -e heap -e "exec kill -9 $dpid" -e 'after 300' -e heap
rc=$?
[ $rc = 7 ] && one_line && grep -q "pid $dpid: the process exited" "$err" &&
	grep -q "^Partition of a set of" "$out"
ok $? "a target that dies between commands: first heap printed, then one error line, exit 7 (got $rc)" "$err"

# ---- a target stopped before attach stays stopped ----
start_target stopped "$py" -c 'import sys; print("ready", flush=True); sys.stdin.readline()'
stpid=$pid
kill -STOP "$stpid"
for _ in $(seq 50); do [ "$(state "$stpid")" = T ] && break; sleep 0.05; done
hi attach "$stpid" -e 'heap -format json'
rc=$?
[ $rc = 0 ] && grep -q '"objects"' "$out" && [ "$(state "$stpid")" = T ]
ok $? "a SIGSTOPped target is read and left stopped (rc $rc, state $(state "$stpid"))" "$err"
kill -CONT "$stpid"
for _ in $(seq 50); do running "$stpid" && break; sleep 0.05; done
running "$stpid"
ok $? "and it runs again on SIGCONT (state $(state "$stpid"))"

# ---- process_vm_readv forbidden (a container's seccomp): /proc/PID/mem ----
hi attach "$ppid_" -e 'heap -format json'
cp "$out" "$WORK/readv.json"
if [ -x "${NOREADV:-}" ] && "$NOREADV" true 2>/dev/null; then
	"$NOREADV" "$HEAPINSPECT" attach "$ppid_" -v -e 'heap -format json' >"$out" 2>"$err"
	rc=$?
	[ $rc = 0 ] && cmp -s "$out" "$WORK/readv.json" && grep -q "process_vm_readv is not allowed" "$err" &&
		! grep -qv '^heapinspect: pid' "$err"
	ok $? "process_vm_readv forbidden by seccomp: the same census from /proc/PID/mem, said only under -v (rc $rc)" "$err"
	"$NOREADV" "$HEAPINSPECT" attach "$ppid_" -e 'heap -format json' >"$out" 2>"$err"
	[ $? = 0 ] && [ ! -s "$err" ] && cmp -s "$out" "$WORK/readv.json"
	ok $? "... and silent without -v" "$err"
	"$NOREADV" "$HEAPINSPECT" attach "$ppid_" -e 'heap -copy -format json' >"$out" 2>"$err"
	[ $? = 0 ] && cmp -s "$out" "$WORK/readv.json"
	ok $? "... heap -copy too" "$err"
	running "$ppid_"
	ok $? "... and the target runs on (state $(state "$ppid_"))"
else
	skip "process_vm_readv forbidden" "cannot install a seccomp filter here"
fi

# ---- the Tcl interpreter keeps Tcl's own info ----
hi attach "$ppid_" -e 'set x 1; info exists x'
[ $? = 0 ] && [ "$(cat "$out")" = 1 ]
ok $? "'info exists' is still Tcl's" "$err"

finish
