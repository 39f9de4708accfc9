# args.tcl: print what a batch file sees of its command line, and prove
# that it runs attached when heapinspect was given a pid.  Used by batch.sh.
puts "argc=$argc"
puts "argv0=$argv0"
set i 0
foreach a $argv {
	puts "argv\[$i\]=<$a>"
	incr i
}
if {[catch {info -format tcl} facts]} {
	puts "attached=none"
} else {
	puts "attached=[dict get $facts pid]"
}
