# quit.tcl COMMAND STATUS: leave with COMMAND (quit or exit) and STATUS
# half-way.  Used by batch.sh.
puts "before [lindex $argv 0]"
set census [heap -format tcl]
[lindex $argv 0] [lindex $argv 1]
puts "after [lindex $argv 0]"
