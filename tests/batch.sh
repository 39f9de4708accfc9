#!/bin/sh
# batch.sh: Tcl batch files (-f FILE ARG...), 'run', quit/exit with a
# status, and signals during a script: what is printed, the exit status,
# and a target that runs on (not stopped, not traced) after every one.
. "${HI_SRCDIR:-$(dirname "$0")}/test-subr.sh"
DATA=${HI_SRCDIR:-$(dirname "$0")}/data

out=$WORK/out
err=$WORK/err
# hi ARGS...: heapinspect with a 60 s limit; stdout in $out, stderr in $err.
hi() { timeout 60 "$HEAPINSPECT" "$@" >"$out" 2>"$err"; }
both() { cat "$out" "$err" >"$WORK/both"; echo "$WORK/both"; }
# untraced PID: running, and no tracer left on it.
untraced() {
	running "$1" && grep -q '^TracerPid:[[:space:]]*0$' "/proc/$1/status"
}
# gone_within SECONDS PID: wait for a background job to end; kill it and
# fail if it does not.
gone_within() {
	for _ in $(seq $(($1 * 20))); do
		kill -0 "$2" 2>/dev/null || return 0
		sleep 0.05
	done
	kill -9 "$2" 2>/dev/null
	return 1
}
# leftovers MARKER: how many processes have MARKER in their command line.
leftovers() {
	# "[x]yz" matches "xyz" but not this grep's own command line
	m=$1
	grep -la "[${m%"${m#?}"}]${m#?}" /proc/[0-9]*/cmdline 2>/dev/null | wc -l
}

py=$(target_python)
if [ -z "$py" ]; then
	skip "batch files" "no python3 found"
	finish
	exit
fi
WAIT='import sys; print("ready", flush=True); sys.stdin.readline()'
start_target first "$py" -c "$WAIT" || { ok 1 "start the first target"; finish; exit 1; }
p1=$pid
start_target second "$py" -c "$WAIT" || { ok 1 "start the second target"; finish; exit 1; }
p2=$pid

# ---- attach PID -f FILE ARG...: argv, argc, argv0 ----
hi attach "$p1" -f "$DATA/args.tcl" a 'b c' ''
rc=$?
printf 'argc=3\nargv0=%s\nargv[0]=<a>\nargv[1]=<b c>\nargv[2]=<>\nattached=%s\n' "$DATA/args.tcl" "$p1" >"$WORK/want"
[ $rc = 0 ] && cmp -s "$out" "$WORK/want" && [ ! -s "$err" ]
ok $? "attach PID -f FILE a 'b c' '': argc 3, argv0 the file, argv the arguments, attached to the pid" "$(both)"
untraced "$p1"
ok $? "the target runs on after the batch file (state $(state "$p1"))"

hi attach "$p1" -f "$DATA/args.tcl"
[ $? = 0 ] && grep -qx 'argc=0' "$out" && ! grep -q '^argv\[' "$out"
ok $? "attach PID -f FILE without arguments: argc 0, argv empty" "$(both)"

# ---- commands return values; -e and -f print results, [] captures ----
hi attach "$p1" -f "$DATA/results.tcl" "$WORK/heap.json"
rc=$?
# Printed: the two puts lines and the CSV of the one top-level heap; not
# the JSON, not 5, not the tables inside the loop.
[ $rc = 0 ] && [ ! -s "$err" ] && grep -Eqx 'json [0-9]{3,} \{' "$out" && grep -qx 'objects 1' "$out" &&
	[ "$(grep -c '^index,count,' "$out")" = 1 ] && ! grep -q '"rows"' "$out" && ! grep -qx 5 "$out" &&
	! grep -q '^Partition of a set' "$out"
ok $? "-f: a top-level heapinspect command's result is printed, [heap ...] is captured, loops and set print nothing" "$(both)"
"$py" -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d["objects"] > 100 and d["rows"]' "$WORK/heap.json" 2>"$WORK/json.err"
ok $? "puts \$f [heap -format json] writes the JSON to the file" "$WORK/json.err"
hi attach "$p1" -e 'set j [heap -format json]; string length $j' -e 'heap -format csv; heap -format csv'
[ $? = 0 ] && [ "$(head -1 "$out" | grep -Ec '^[0-9]{3,}$')" = 1 ] && [ "$(grep -c '^index,count,' "$out")" = 2 ] &&
	! grep -q '"rows"' "$out"
ok $? "-e: each heapinspect command's result and the last command's are printed, a captured one is not" "$(both)"

# ---- more and all redraw the last table from its result ----
hi attach "$p1" -e 'foreach {n c} {heap heap more more all all} { set f [open '"$WORK"'/$n w]; puts -nonewline $f [$c]; close $f }'
rc=$?
left=$(sed -n 's/^<\([0-9]*\) more rows. Type e.g. .more. to view.>$/\1/p' "$WORK/heap")
[ $rc = 0 ] && [ -n "$left" ] && [ "$(sed -n 1p "$WORK/more")" = "$(sed -n 2p "$WORK/heap")" ] &&
	sed -n 2p "$WORK/more" | grep -q '^    10 ' && [ "$(head -11 "$WORK/all")" = "$(head -11 "$WORK/heap")" ] &&
	[ "$(grep -c '^ *[0-9][0-9]* ' "$WORK/all")" -ge $((10 + left)) ] && ! grep -q 'more rows' "$WORK/all"
ok $? "more: the heading and rows from index 10; all: the same table whole (${left:-no} more rows)" \
	"$(cat "$WORK/heap" "$WORK/more" "$WORK/all" "$err")"

# ---- one option table: parsing, suggestions, -out, help ----
hi attach "$p1" -e 'heap -fromat json'
rc=$?
[ $rc = 1 ] && grep -q 'heap: unknown option "-fromat" (did you mean -format?); usage: heap ?-all?' "$err"
ok $? "a mistyped option: exit 1, 'did you mean -format?' and the usage (got $rc)" "$(both)"
hi attach "$p1" -e 'top 3 -format csv -out '"$WORK/top.csv"
[ $? = 0 ] && [ ! -s "$out" ] && [ "$(head -1 "$WORK/top.csv" | cut -d, -f1)" = index ] && [ "$(wc -l <"$WORK/top.csv")" = 4 ]
ok $? "-out FILE: the result goes to FILE and nothing is printed" "$(both)"
hi attach "$p1" -e 'info -format json'
[ $? = 0 ] && "$py" -c 'import json, sys; d = json.load(sys.stdin); assert d["pid"] == int(sys.argv[1]) and d["interpreter"][0]["gc"]' "$p1" <"$out"
ok $? "info -format json: the same facts as -format tcl, as JSON" "$(both)"
hi -e 'help heap'
[ $? = 0 ] && (for o in -all -abs -copy -by -format -save -out; do grep -q "^  $o " "$out" || exit 1; done)
ok $? "help heap describes every option of heap's table" "$(both)"
hi -p "$p1" -e "attach $p1"
[ $? = 0 ] && grep -q "^attached to pid $p1: CPython [0-9.]* (" "$out"
ok $? "-p PID attaches as 'attach PID' does; the attach command says what it attached to" "$(both)"
hi --pid="$p1" -e 'dict get [info -format tcl] pid'
[ $? = 0 ] && [ "$(cat "$out")" = "$p1" ]
ok $? "--pid=PID attaches too" "$(both)"

# ---- -f FILE ARG...: the file attaches by itself, to two processes ----
hi -f "$DATA/two-targets.tcl" "$p1" "$p2"
rc=$?
[ $rc = 0 ] && [ ! -s "$err" ] && grep -q '^Partition of a set of [0-9]* objects' "$out" &&
	grep -q '^after detach: 1 not attached to a process; use: attach PID$' "$out" &&
	grep -Eq "^pid: +$p2\$" "$out" && ! grep -Eq "^pid: +$p1\$" "$out"
ok $? "-f FILE PID1 PID2: the script attaches PID1, heap, detach, attaches PID2, info (exit $rc)" "$(both)"
untraced "$p1" && untraced "$p2"
ok $? "both targets run on (states $(state "$p1") $(state "$p2"))"

hi -e heap
rc=$?
[ $rc = 1 ] && grep -q 'not attached to a process; use: attach PID' "$err"
ok $? "a script that never attaches: heap fails with 'use: attach PID', exit 1 (got $rc)" "$(both)"

# ---- a script error: FILE:LINE: message, exit 1 ----
hi attach "$p1" -f "$DATA/error.tcl"
rc=$?
[ $rc = 1 ] && [ "$(cat "$err")" = "heapinspect: $DATA/error.tcl:3: heap: -format \"nonsense\" is not known: must be table, json, csv or tcl; usage: heap ?-all? ?-abs? ?-copy|-inplace? ?-by kind|type|rcs? ?-kind KIND? ?-retained? ?-format table|json|csv|tcl? ?-save FILE? ?-interp ID? ?-out FILE?" ] &&
	[ "$(cat "$out")" = "before the error" ]
ok $? "a script error: 'heapinspect: FILE:3: message' on stderr, nothing after it runs, exit 1 (got $rc)" "$(both)"
untraced "$p1"
ok $? "the target runs on after the script error (state $(state "$p1"))"

printf 'puts ok\nputs [heap -format nonsense\n' >"$WORK/unclosed.tcl"
hi attach "$p1" -f "$WORK/unclosed.tcl"
rc=$?
[ $rc = 1 ] && [ "$(cat "$err")" = "heapinspect: $WORK/unclosed.tcl:2: missing close-bracket" ] && [ "$(cat "$out")" = ok ]
ok $? "a command that does not parse: 'FILE:2: missing close-bracket', the line before it ran, exit 1 (got $rc)" "$(both)"

hi attach "$p1" -f "$WORK/no-such-file.tcl"
rc=$?
[ $rc = 1 ] && grep -q "no-such-file.tcl" "$err"
ok $? "a missing batch file: exit 1 with its name (got $rc)" "$(both)"

# ---- quit N and exit N ----
for how in quit exit; do
	hi attach "$p1" -f "$DATA/quit.tcl" "$how" 3
	rc=$?
	[ $rc = 3 ] && [ "$(cat "$out")" = "before $how" ] && [ ! -s "$err" ]
	ok $? "'$how 3' in a batch file: exit status 3, output up to there (got $rc)" "$(both)"
	untraced "$p1"
	ok $? "the target runs on after '$how 3' (state $(state "$p1"))"
done
hi attach "$p2" -e 'puts one' -e 'quit 4' -e 'puts two'
rc=$?
[ $rc = 4 ] && [ "$(cat "$out")" = one ]
ok $? "'quit 4' in an -e script: exit 4, later scripts not run (got $rc)" "$(both)"
hi attach "$p2" -e 'heap -format tcl; quit'
rc=$?
[ $rc = 0 ] && untraced "$p2"
ok $? "'quit' without a status: exit 0, target running (got $rc, state $(state "$p2"))" "$(both)"

# ---- run: start a program, inspect it, and stop it ----
marker=hi-run-$$-a
hi run -e 'dict get [heap -format tcl] objects' -- "$py" -c "import time; time.sleep(300)  # $marker"
rc=$?
[ $rc = 0 ] && grep -Eqx '[0-9]+' "$out" && [ "$(cat "$out")" -gt 1000 ] && [ "$(wc -l <"$out")" = 1 ]
ok $? "run -e 'dict get [heap -format tcl] objects' -- python: prints one number ($(head -c 20 "$out")), exit $rc" "$(both)"
[ "$(leftovers "$marker")" = 0 ]
ok $? "run leaves no child process behind"

marker=hi-run-$$-b
hi run -f "$DATA/args.tcl" x y -- "$py" -c "import time; time.sleep(300)  # $marker"
rc=$?
[ $rc = 0 ] && grep -qx 'argc=2' "$out" && grep -qx 'argv\[1\]=<y>' "$out" && grep -Eqx 'attached=[0-9]+' "$out" &&
	[ "$(leftovers "$marker")" = 0 ]
ok $? "run -f FILE x y -- python: the file's arguments stop at --, attached, no child left (exit $rc)" "$(both)"

marker=hi-run-$$-c
hi run -e 'error boom' -- "$py" -c "import time; time.sleep(300)  # $marker"
rc=$?
[ $rc = 1 ] && [ "$(cat "$err")" = "heapinspect: boom" ] && [ "$(leftovers "$marker")" = 0 ]
ok $? "run with a failing script: exit 1, the program stopped all the same (got $rc)" "$(both)"

marker=hi-run-$$-d
start=$(date +%s)
hi run -e 'dict get [info -format tcl] python' -- "$py" -c "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(300)  # $marker"
rc=$?
took=$(($(date +%s) - start))
[ $rc = 0 ] && grep -Eqx '3\.[0-9]+\.[0-9]+.*' "$out" && [ "$(leftovers "$marker")" = 0 ] && [ "$took" -lt 20 ]
ok $? "run -- a program that ignores SIGTERM: still no child left, in ${took} s (exit $rc)" "$(both)"

hi run -e heap -- sh -c 'exit 7'
rc=$?
[ $rc = 1 ] && grep -q 'exited with status 7 before heapinspect could attach' "$err"
ok $? "run -- a program that exits at once: exit 1, 'exited with status 7' (got $rc)" "$(both)"

# ---- signals during a long script ----
# A target big enough that a census takes a while, so that the signal often
# arrives while the target is stopped.
start_target big "$py" -c "
import sys
class O: pass
objs = [O() for _ in range(50000)] + [str(i) * 2 for i in range(100000)]
print('ready', flush=True)
sys.stdin.readline()" || { ok 1 "start the big target"; finish; exit 1; }
pb=$pid
i=0 midwalk=0
for sig in TERM HUP INT TERM HUP INT; do
	i=$((i + 1))
	case $sig in TERM) want=143 why=Terminated ;; INT) want=130 why=Ctrl-C ;; HUP) want=129 why=Hangup ;; esac
	"$HEAPINSPECT" attach "$pb" -f "$DATA/forever.tcl" >"$out" 2>"$err" &
	hpid=$!
	for _ in $(seq 100); do grep -q started "$out" && break; sleep 0.05; done
	# land at a different moment of the census each time
	sleep "0.$((1 + i))"
	# Was the target stopped (traced, state t) just before the signal?
	[ "$(state "$pb")" = t ] && midwalk=$((midwalk + 1))
	kill -s "$sig" "$hpid"
	gone_within 10 "$hpid"
	gone=$?
	wait "$hpid"
	rc=$?
	[ $gone = 0 ] && [ $rc = $want ] && [ "$(cat "$err")" = "heapinspect: $DATA/forever.tcl:5: interrupted by $why" ]
	ok $? "SIG$sig during 'while 1 {heap -inplace -format tcl}' (-f): exit $want (got $rc), 'FILE:5: interrupted by $why'" "$(both)"
	for _ in $(seq 20); do untraced "$pb" && break; sleep 0.05; done
	untraced "$pb"
	ok $? "after SIG$sig the target runs on, untraced (state $(state "$pb"), $(grep TracerPid "/proc/$pb/status" 2>/dev/null))"
done

"$HEAPINSPECT" attach "$pb" -e 'while 1 {heap -format tcl}' >"$out" 2>"$err" &
hpid=$!
sleep 1
kill -TERM "$hpid"
gone_within 10 "$hpid"
gone=$?
wait "$hpid"
rc=$?
[ $gone = 0 ] && [ $rc = 143 ] && untraced "$pb" && [ "$(cat "$err")" = "heapinspect: interrupted by Terminated" ]
ok $? "SIGTERM during an -e script: exit 143 (got $rc), the target runs on (state $(state "$pb"))" "$(both)"

[ $midwalk -gt 0 ]
ok $? "$midwalk of 6 signals arrived while the target was stopped for a census"

# SIGPIPE sent by hand is ignored: the census goes on.
"$HEAPINSPECT" attach "$pb" -f "$DATA/forever.tcl" >"$out" 2>"$err" &
hpid=$!
for _ in $(seq 100); do grep -q started "$out" && break; sleep 0.05; done
kill -PIPE "$hpid"
sleep 0.5
kill -0 "$hpid" 2>/dev/null
alive=$?
kill -TERM "$hpid"
gone_within 10 "$hpid"
wait "$hpid"
rc=$?
[ $alive = 0 ] && [ $rc = 143 ] && untraced "$pb"
ok $? "SIGPIPE is ignored mid-census; SIGTERM then ends it (exit $rc), the target runs on (state $(state "$pb"))" "$(both)"

# A reader that goes away (heapinspect ... | head -1): the script ends
# quietly with 128+SIGPIPE, after detaching.
( "$HEAPINSPECT" attach "$pb" -e 'while 1 {puts [heap]}' 2>"$err"; echo $? >"$WORK/pipe.rc" ) | head -1 >"$out"
rc=$(cat "$WORK/pipe.rc")
[ "$rc" = 141 ] && [ ! -s "$err" ] && grep -q '^Partition of a set' "$out" && untraced "$pb"
ok $? "output closed by its reader mid-script: exit 141 (got $rc), nothing on stderr, the target runs on (state $(state "$pb"))" "$(both)"

# Any other write error is one: a message and status 1, never 141 and
# never a silent 0.
"$HEAPINSPECT" attach "$pb" -e heap >/dev/full 2>"$err"
rc=$?
[ $rc = 1 ] && [ "$(wc -l <"$err")" = 1 ] && grep -q 'cannot write output: No space left on device' "$err" &&
	untraced "$pb"
ok $? "output to /dev/full: exit 1 (got $rc) with one line saying why" "$(cat "$err")"
"$HEAPINSPECT" attach "$pb" -e heap >&- 2>"$err"
rc=$?
[ $rc = 1 ] && [ "$(wc -l <"$err")" = 1 ] && grep -q 'cannot write output: standard output is closed' "$err" &&
	untraced "$pb"
ok $? "a closed stdout: exit 1 (got $rc) with one line saying so" "$(cat "$err")"
"$HEAPINSPECT" attach "$pb" -e 'set n [dict get [heap -format tcl] objects]; list' >/dev/full 2>"$err"
rc=$?
[ $rc = 0 ]
ok $? "nothing written, nothing failed: /dev/full is no error then (got $rc)" "$(cat "$err")"

hi attach "$pb" -e 'dict get [heap -format tcl] objects'
[ $? = 0 ] && [ "$(cat "$out")" -gt 150000 ]
ok $? "after the signals the target can be inspected again ($(cat "$out") objects)" "$(both)"

# Progress: on a terminal only (HEAPINSPECT_PROGRESS_MS=0 shows it at once
# instead of after a second), ending with its own line.
if command -v script >/dev/null 2>&1; then
	HEAPINSPECT_PROGRESS_MS=0 script -qec "'$HEAPINSPECT' attach $pb -e 'heap -format json' >/dev/null" /dev/null \
		>"$out" 2>&1
	grep -q "pid $pb: [0-9]* objects walked, [0-9.]* million a second" "$out" && tail -c 2 "$out" | od -c | grep -q '\\n'
	ok $? "a walk on a terminal shows how many objects it walked" "$(cat -A "$out" | tail -c 300)"
else
	skip "a walk on a terminal shows how many objects it walked" "script (util-linux) is not installed"
fi
HEAPINSPECT_PROGRESS_MS=0 "$HEAPINSPECT" attach "$pb" -e 'heap -format json' >/dev/null 2>"$err"
[ $? = 0 ] && [ ! -s "$err" ]
ok $? "and nothing on a stderr that is not a terminal" "$(cat "$err")"

finish
