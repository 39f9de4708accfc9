# two-targets.tcl PID1 PID2: a batch file that attaches by itself, looks at
# one process, detaches, then describes a second one.  Used by batch.sh.
attach [lindex $argv 0]
heap
detach
puts "after detach: [catch {heap} msg] $msg"
attach [lindex $argv 1]
info
