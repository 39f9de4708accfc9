# forever.tcl: census the target until a signal ends heapinspect.  Used by
# batch.sh.
puts started
flush stdout
while 1 {
	heap -format tcl
}
