# watch.tcl: a watch whose target grows between samples, in lock-step.
# Used by tests/watch.py:
#
#   heapinspect attach PID -f watch.tcl CMD-FIFO OUT-FIFO CSV COUNT INTERVAL TOP
#
# The target (workloads/grow_target.py) reads "grow" from CMD-FIFO and
# answers on OUT-FIFO with its truth, printed here as "@@ REPLY ...".
# Between two samples, watch's -command tells it to grow, waits for the
# answer, then dawdles 200 ms more: a schedule that drifted by the time
# spent between samples would show in the seconds column.
lassign $argv cmdfifo outfifo csv count interval top
set to [open $cmdfifo w]
set from [open $outfifo r]

proc grow {} {
	puts $::to grow
	flush $::to
	puts "@@ REPLY [gets $::from]"
	flush stdout
	after 200
}

watch -out $csv -count $count -interval $interval -top $top -command grow
close $to
close $from
