# baseline.tcl: drives tests/workloads/churn_target.py from inside one
# heapinspect process, so that the baseline of 'setrel' (which lives in
# heapinspect, not in the target) spans every step.  Used by baseline.py:
#
#   heapinspect attach PID -f baseline.tcl PID CMD-FIFO OUT-FIFO SAVE-FILE
#
# The target reads its commands from CMD-FIFO and answers on OUT-FIFO.
# Every step prints "@@ STEP name", what its commands print, then
# "@@ STATE name S" with the target's state letter from /proc read right
# after the step's last heapinspect command, and "@@ REPLY name ..." with
# the target's answer when the step sent it a command.
lassign $argv pid cmdfifo outfifo savefile
set to [open $cmdfifo w]
set from [open $outfifo r]

proc state {} {
	set f [open /proc/$::pid/stat r]
	set s [read $f]
	close $f
	return [lindex [string range $s [expr {[string last ")" $s] + 2}] end] 0]
}

# idle: wait (up to 10 s) until the target is blocked reading its stdin
# (fd 0), so that heapinspect never catches it half-way between printing
# "done" and its next read, with a few transient objects alive.
proc idle {} {
	for {set i 0} {$i < 1000} {incr i} {
		set f [open /proc/$::pid/syscall r]
		set s [read $f]
		close $f
		if {[string is integer -strict [lindex $s 0]] && [lindex $s 1] eq "0x0"} {
			return
		}
		after 10
	}
	error "pid $::pid: not blocked reading stdin after 10 s: $s"
}

# tell COMMAND: send a line to the target and wait for its "done" line.
proc tell {name command} {
	puts $::to $command
	flush $::to
	set reply [gets $::from]
	puts "@@ REPLY $name $reply"
	idle
}

# tcl_rows: a 'heap -format tcl' or 'diff -format tcl' dict, one row a line.
proc tcl_rows {d} {
	foreach k {pid python objects size by} {
		if {[dict exists $d $k]} { puts "TCL $k [dict get $d $k]" }
	}
	foreach ab {a b} {
		foreach k {objects size} {
			if {[dict exists $d $ab $k]} { puts "TCL ${k}_$ab [dict get $d $ab $k]" }
		}
	}
	foreach r [dict get $d rows] {
		puts "TCLROW [join [dict values [dict remove $r index]] "\t"]"
	}
}

proc step {name body} {
	puts "@@ STEP $name"
	flush stdout
	set result [uplevel #0 $body]
	if {$result ne ""} { puts $result }
	flush stdout
	puts "@@ STATE $name [state]"
	flush stdout
}

idle
step setrel {puts [setrel]}
step empty {heap -format json}
tell grow grow
step grow {heap -format json}
step grow-abs {heap -abs -format json}
step grow-csv {heap -format csv}
step grow-tcl {tcl_rows [heap -format tcl]}
step grow-diff {diff -format json}
step grow-diff-csv {diff -format csv}
step grow-diff-tcl {tcl_rows [diff -format tcl]}
# The graph of diff's census knows what is new: path and referrers read it.
step grow-diff-path {path __main__.Grown -format json}
step grow-diff-path-str {path str -format json}
tell free free
step free-diff {diff -format json}
tell reuse "reuse 500"
step reuse {heap -format json}
tell floats "floats 500"
step floats {heap -format json}
step reattach {detach; attach $pid; heap -format json}
step clearrel {clearrel; heap -format json}
step clearrel-abs {heap -abs -format json}
step nobase {puts "caught [catch {diff -format json} msg]: $msg"}
step save [list heap -save $savefile -format json]
step detach {detach}
close $to
close $from
