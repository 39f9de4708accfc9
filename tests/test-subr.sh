# test-subr.sh: shared helpers for heapinspect's shell tests (TAP).
# Environment from `make check`: HEAPINSPECT, LAUNCH, HI_SRCDIR, TEST_PYTHON.

: "${HEAPINSPECT:=./heapinspect}" "${LAUNCH:=./tests/launch}"
tap_n=0
tap_failed=0
TARGETS=""
WORK=$(mktemp -d "${TMPDIR:-/tmp}/heapinspect-test.XXXXXX")

cleanup() {
	for p in $TARGETS; do kill -9 "$p" 2>/dev/null; done
	pkill -P $$ sleep 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

ok() {	# ok CONDITION-STATUS DESCRIPTION [DIAGNOSTIC-FILE]
	tap_n=$((tap_n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $tap_n - $2"
	else
		tap_failed=$((tap_failed + 1))
		echo "not ok $tap_n - $2"
		[ -n "${3:-}" ] && [ -f "$3" ] && sed 's/^/# /' "$3"
	fi
}

skip() {	# skip DESCRIPTION REASON
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $1 # SKIP $2"
}

finish() {
	echo "1..$tap_n"
	[ "$tap_failed" = 0 ]
}

# start_target NAME CMD...: run CMD under LAUNCH in the background, its
# stdin a pipe that stays open (each target has its own), and wait until it
# prints "ready" (or 20 s); sets $pid.
start_target() {
	name=$1
	shift
	sleep 3600 | "$LAUNCH" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
	pid=$!
	TARGETS="$TARGETS $pid"
	for _ in $(seq 200); do
		grep -q '^ready' "$WORK/$name.out" 2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# state PID: the one-letter process state, or "gone".
state() {
	s=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	echo "${s:-gone}"
}

# running PID: true when not stopped ('t' traced or 'T' stopped).
running() {
	case $(state "$1") in t|T|gone) return 1 ;; *) return 0 ;; esac
}

# A CPython for targets: the one that drives the tests, else any python3.
target_python() {
	for p in "${TEST_PYTHON:-}" /usr/bin/python3.11 python3; do
		[ -n "$p" ] && command -v "$p" >/dev/null 2>&1 && { command -v "$p"; return; }
	done
}
