# results.tcl OUTFILE: commands return their results.  A top-level
# heapinspect command's result is printed; one captured with [] or run
# by Tcl's own commands is not.  Used by batch.sh.
set j [heap -format json]
puts "json [string length $j] [string index $j 0]"
set f [open [lindex $argv 0] w]
puts $f [heap -format json]
close $f
set n 5
heap -format csv
foreach i {1 2} { heap }
set d [heap -format tcl]
puts "objects [string is wide -strict [dict get $d objects]]"
