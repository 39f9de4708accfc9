#!/bin/sh
# valgrind.sh: heapinspect under memcheck for two attach -> heap -> memory -> shm -> detach
# cycles: no invalid read or write, no use of uninitialised memory in its
# own code, and nothing definitely lost.
. "${HI_SRCDIR:-$(dirname "$0")}/test-subr.sh"

if ! command -v valgrind >/dev/null 2>&1; then
	skip "memcheck" "valgrind not installed"
	finish
	exit
fi
py=$(target_python)
start_target vg "$py" -c 'import sys; print("ready", flush=True); sys.stdin.readline()'
vpid=$pid
cat >"$WORK/cycles.tcl" <<'TCL'
set pid [lindex $argv 0]
for {set i 0} {$i < 2} {incr i} { attach $pid; heap -format tcl; heap -by type -format json; memory -format tcl; shm -format tcl; detach }
TCL
valgrind --leak-check=full --track-origins=no "$HEAPINSPECT" -f "$WORK/cycles.tcl" "$vpid" >"$WORK/vg.out" 2>"$WORK/vg.err"
rc=$?
[ $rc = 0 ]
ok $? "heapinspect runs under memcheck (exit $rc)" "$WORK/vg.err"
! grep -qE "Invalid (read|write|free)|Conditional jump or move depends on uninitialised|Syscall param .* uninitialised" "$WORK/vg.err"
ok $? "memcheck finds no invalid access or uninitialised use" "$WORK/vg.err"
grep -qE "definitely lost: 0 bytes|no leaks are possible|All heap blocks were freed" "$WORK/vg.err" ||
	! grep -q "definitely lost" "$WORK/vg.err"
ok $? "nothing is definitely lost" "$WORK/vg.err"
running "$vpid"
ok $? "the target runs on (state $(state "$vpid"))"
finish
