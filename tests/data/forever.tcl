# forever.tcl: census the target in place (stopped long enough for a signal
# to land meanwhile) until a signal ends heapinspect.  Used by batch.sh.
puts started
flush stdout
while 1 {
	heap -inplace -format tcl
}
