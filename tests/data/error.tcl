# error.tcl: line 3 fails.  Used by batch.sh.
puts "before the error"
heap -format nonsense
puts "after the error"
