#!/bin/sh
# valgrind.sh: heapinspect under memcheck for two attach -> heap -> memory -> shm -> detach, then the reference commands
# cycles and a watch and plot: no invalid read or write, no use of uninitialised memory in its
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
# The reference graph and every command that reads it.
attach $pid
heap -by rcs -retained -format json
path str -format json; referrers str -format tcl; top -retained 3 -format tcl; objects str -n 2
set a [dict get [lindex [dict get [top 1 -format tcl] rows] 0] address]
show $a -format json; referents $a; path $a; graph str -n 2 -depth 2
detach
# watch and plot, and plot refusing a file
set csv [lindex $argv 1]
attach $pid
watch -out $csv -count 2 -interval 0.1 -top 3 -quiet -command {set x 1}
detach
plot $csv -out $csv.svg
set f [open $csv a]; puts $f "1,t,0.1,rss_bytes"; close $f
catch {plot $csv -out $csv.svg}
TCL
valgrind --leak-check=full --track-origins=no "$HEAPINSPECT" -f "$WORK/cycles.tcl" "$vpid" "$WORK/w.csv" >"$WORK/vg.out" 2>"$WORK/vg.err"
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

# A core file: its notes, segments, mapped files and modules read, every
# census command run on it, and a truncated copy refused.
if command -v gcore >/dev/null 2>&1; then
	gcore -o "$WORK/vg" "$vpid" >/dev/null 2>&1
	head -c 100000 "$WORK/vg.$vpid" >"$WORK/vg.cut"
	valgrind --leak-check=full --track-origins=no "$HEAPINSPECT" core "$WORK/vg.$vpid" -e 'info -format json' \
		-e 'heap -format tcl' -e 'stacks -locals' -e 'top -retained 2' -e 'path str' -e 'numpy' \
		-e 'catch {attach -image '"$WORK/vg.cut"'}' >"$WORK/vgc.out" 2>"$WORK/vgc.err"
	rc=$?
	[ $rc = 0 ] && ! grep -qE "Invalid (read|write|free)|Conditional jump or move depends on uninitialised|Syscall param .* uninitialised" "$WORK/vgc.err" &&
		{ grep -qE "definitely lost: 0 bytes|no leaks are possible|All heap blocks were freed" "$WORK/vgc.err" ||
			! grep -q "definitely lost" "$WORK/vgc.err"; }
	ok $? "a core file and a truncated one under memcheck: exit $rc, no invalid access, nothing lost" "$WORK/vgc.err"
else
	skip "a core file under memcheck" "gdb's gcore not installed"
fi

# The per-object observer, top's previews and numpy's decoding, with a
# base only a view keeps alive, where numpy can be imported.
if [ -x /usr/bin/python3.11 ] && /usr/bin/python3.11 -c 'import numpy' 2>/dev/null; then
	start_target vgnp /usr/bin/python3.11 -c 'import sys, numpy
v = numpy.arange(100000.0)[10:20]
print("ready", flush=True); sys.stdin.readline()'
	npid=$pid
	cat >"$WORK/np.tcl" <<'TCL'
set pid [lindex $argv 0]
attach $pid; top 5 -format tcl; top 3 -copy; numpy -format tcl; numpy -n 3 -copy -format json; numpy -format csv
path numpy.ndarray -format json; top -retained 3; detach
TCL
	valgrind --leak-check=full --track-origins=no "$HEAPINSPECT" -f "$WORK/np.tcl" "$npid" >"$WORK/vgnp.out" 2>"$WORK/vgnp.err"
	rc=$?
	[ $rc = 0 ] && ! grep -qE "Invalid (read|write|free)|Conditional jump or move depends on uninitialised|Syscall param .* uninitialised" "$WORK/vgnp.err" &&
		{ grep -qE "definitely lost: 0 bytes|no leaks are possible|All heap blocks were freed" "$WORK/vgnp.err" ||
			! grep -q "definitely lost" "$WORK/vgnp.err"; }
	ok $? "top and numpy under memcheck: exit $rc, no invalid access, nothing lost" "$WORK/vgnp.err"
	running "$npid"
	ok $? "the numpy target runs on (state $(state "$npid"))"
else
	skip "top and numpy under memcheck" "no python3.11 with numpy"
fi
finish
