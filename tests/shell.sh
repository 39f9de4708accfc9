#!/bin/sh
# shell.sh: the interactive shell, driven for real in a pseudo-terminal
# with tmux: continuation prompt, history (in the session, in the file and
# in the next session), completion, Ctrl-C during a command and at the
# prompt, Ctrl-D, SIGTERM; the target runs on after each.
. "${HI_SRCDIR:-$(dirname "$0")}/test-subr.sh"

if ! command -v tmux >/dev/null 2>&1; then
	skip "the interactive shell" "tmux is not installed"
	finish
	exit
fi
py=$(target_python)
if [ -z "$py" ]; then
	skip "the interactive shell" "no python3 found"
	finish
	exit
fi

SOCK=heapinspect-test-$$
tm() { env -u TMUX tmux -L "$SOCK" -f /dev/null "$@"; }
trap 'tm kill-server 2>/dev/null; cleanup' EXIT
HIST=$WORK/history
HI=$(cd "$(dirname "$HEAPINSPECT")" && pwd)/$(basename "$HEAPINSPECT")

# session: start `heapinspect attach $tpid` in a fresh 200x50 pane; the
# pane stays after heapinspect exits and then says how it exited.
session() {
	tm kill-server 2>/dev/null
	TERM=xterm tm new-session -d -s hi -x 200 -y 50 \
		"env HEAPINSPECT_HISTORY='$HIST' INPUTRC=/dev/null '$HI' attach $tpid; echo \"heapinspect exited with status \$?\"" \; \
		set-option -wg remain-on-exit on
	wait_last '^\(heapinspect\)$' 20
}
# screen: the pane and its scrollback, wrapped lines joined, trailing
# blanks and blank lines dropped.  last [N]: its last N lines.
screen() { tm capture-pane -p -J -S -3000 -t hi 2>/dev/null | sed 's/[[:space:]]*$//; /^$/d'; }
last() { screen | tail -n "${1:-1}"; }
# wait_last ERE [SECONDS]: until the last line matches; wait_screen: any line.
wait_last() {
	for _ in $(seq $((${2:-10} * 20))); do
		last | grep -Eq -- "$1" && return 0
		sleep 0.05
	done
	return 1
}
# wait_tail N TEXT: until the last N lines, each followed by '|', are TEXT.
wait_tail() {
	for _ in $(seq 100); do
		[ "$(last "$1" | tr '\n' '|')" = "$2" ] && return 0
		sleep 0.05
	done
	return 1
}
wait_screen() {
	for _ in $(seq $((${2:-10} * 20))); do
		screen | grep -Eq -- "$1" && return 0
		sleep 0.05
	done
	return 1
}
# keys TEXT: type TEXT literally; key NAME...: press keys (Enter, Tab, C-c)
keys() { tm send-keys -t hi -l -- "$1"; }
key() { tm send-keys -t hi "$@"; }
# line TEXT: type TEXT and Enter
line() { keys "$1"; key Enter; }
# fresh: clear the pane and its scrollback (at the prompt only)
fresh() {
	key C-l
	sleep 0.1
	tm clear-history -t hi
	wait_last '^\(heapinspect\)$' 5
}
snap() { screen >"$WORK/screen"; echo "$WORK/screen"; }
# untraced PID: running, and no tracer left on it.
untraced() {
	running "$1" && grep -q '^TracerPid:[[:space:]]*0$' "/proc/$1/status"
}
prompt='^\(heapinspect\)$'

start_target t "$py" -c 'import sys; print("ready", flush=True); sys.stdin.readline()' ||
	{ ok 1 "start the target"; finish; exit 1; }
tpid=$pid

session
opened=$?
ok $opened "heapinspect attach PID opens the shell: prompt '(heapinspect) '" "$(snap)"
[ $opened = 0 ] || { finish; exit 1; }

# ---- a multi-line command: continuation prompt, then the output ----
line 'foreach k {1 2} {'
wait_last '^\.\.\.>$' 5
ok $? "an open brace: continuation prompt '...> '" "$(snap)"
line 'puts "k=$k"'
wait_tail 2 '...> puts "k=$k"|...>|'
ok $? "still open: '...> ' again" "$(snap)"
line '}'
wait_tail 4 '...> }|k=1|k=2|(heapinspect)|'
ok $? "the closing brace runs the whole command: k=1, k=2, then the prompt" "$(snap)"
untraced "$tpid"
ok $? "the target runs on (state $(state "$tpid"))"

line 'dict get [heap -format tcl] pid'
wait_tail 3 "(heapinspect) dict get [heap -format tcl] pid|$tpid|(heapinspect)|"
ok $? "a heapinspect command in the shell prints its result ($tpid)" "$(snap)"
untraced "$tpid"
ok $? "the target runs on after heap (state $(state "$tpid"))"

# ---- history within the session ----
line 'set marker 12345'
wait_tail 3 '(heapinspect) set marker 12345|12345|(heapinspect)|'
grep -qx 'set marker 12345' "$HIST"
ok $? "each history entry is in the file as soon as it is made" "$HIST"
fresh
key Up
wait_last '^\(heapinspect\) set marker 12345$' 5
ok $? "Up recalls the last command" "$(snap)"
key Up Up
wait_tail 3 '(heapinspect) foreach k {1 2} {|puts "k=$k"|}|'
ok $? "Up Up Up recalls the multi-line command as one entry" "$(snap)"
key Enter
wait_tail 3 'k=1|k=2|(heapinspect)|'
ok $? "Enter runs the recalled multi-line command again" "$(snap)"

# ---- completion ----
fresh
keys hea
key Tab
wait_last '^\(heapinspect\) heap$' 5
ok $? "Tab completes a command name: hea -> heap" "$(snap)"
keys '-fo'
key Tab
wait_last '^\(heapinspect\) heap -format$' 5
ok $? "Tab completes an option: heap -fo -> heap -format" "$(snap)"
keys js
key Tab
wait_last '^\(heapinspect\) heap -format json$' 5
ok $? "Tab completes an option's value: -format js -> json" "$(snap)"
key Enter
wait_screen "^\\{\"pid\": $tpid, " 20 && wait_last "$prompt" 5
ok $? "the completed command runs: heap -format json prints JSON" "$(snap)"
fresh
keys he
key Tab Tab
wait_screen 'heap +help' 5
ok $? "Tab Tab lists the candidates: he -> heap help" "$(snap)"
key C-u
wait_last "$prompt" 5
keys fore
key Tab
wait_last '^\(heapinspect\) foreach$' 5
ok $? "Tab completes Tcl's own commands too: fore -> foreach" "$(snap)"
key C-u
wait_last "$prompt" 5
keys 'help wat'
key Tab
wait_last '^\(heapinspect\) help watch$' 5
ok $? "Tab after help completes a command's name: help wat -> help watch" "$(snap)"
key C-u
wait_last "$prompt" 5
mkdir -p "$WORK/cdir" && : >"$WORK/cdir/unique-name.csv"
keys "plot $WORK/cdir/uni"
key Tab
wait_last "^\\(heapinspect\\) plot $WORK/cdir/unique-name.csv ?\$" 5
ok $? "Tab completes a file name where a command takes a FILE: plot .../uni -> unique-name.csv" "$(snap)"
key C-u
wait_last "$prompt" 5
keys 'heap -format csv -sa'
key Tab
wait_last '^\(heapinspect\) heap -format csv -save$' 5
ok $? "Tab completes options after a value: heap -format csv -sa -> -save" "$(snap)"
key C-u
wait_last "$prompt" 5

# ---- Ctrl-C during a long command ----
fresh
line 'while 1 {heap -format tcl}'
sleep 1
last | grep -qx '(heapinspect) while 1 {heap -format tcl}'
busy=$?
key C-c
wait_last "$prompt" 10 && [ $busy = 0 ] && screen | grep -q 'heapinspect: interrupted by Ctrl-C'
ok $? "Ctrl-C during 'while 1 {heap -format tcl}': 'interrupted by Ctrl-C' and the prompt" "$(snap)"
for _ in $(seq 20); do untraced "$tpid" && break; sleep 0.05; done
untraced "$tpid"
ok $? "the target runs on after Ctrl-C (state $(state "$tpid"))"
fresh
line 'after 5000'
sleep 0.5
key C-c
wait_last "$prompt" 3
ok $? "Ctrl-C during 'after 5000': back to the prompt within 3 s" "$(snap)"
line 'puts alive'
wait_tail 3 '(heapinspect) puts alive|alive|(heapinspect)|'
ok $? "the shell works after Ctrl-C" "$(snap)"

# ---- Ctrl-C and Ctrl-D while a command is being typed ----
fresh
keys 'puts typed-but-cancelled'
key C-c
wait_last "$prompt" 3
ok $? "Ctrl-C at the prompt drops the line and shows a fresh prompt at once" "$(snap)"
# If the fresh prompt only came with the next key, that key is spent here.
key C-u
wait_last "$prompt" 5
line 'puts next'
wait_tail 3 '(heapinspect) puts next|next|(heapinspect)|' && ! screen | grep -qx typed-but-cancelled
ok $? "the next command runs alone; the cancelled one never ran" "$(snap)"
fresh
line 'foreach k {1 2} {'
wait_last '^\.\.\.>$' 5
key C-c
wait_last "$prompt" 3
ok $? "Ctrl-C at the continuation prompt: back to '(heapinspect) ' at once" "$(snap)"
key C-u
wait_last "$prompt" 5
line 'puts dropped'
wait_tail 3 '(heapinspect) puts dropped|dropped|(heapinspect)|'
ok $? "the unfinished command was dropped: the next line runs by itself" "$(snap)"
fresh
line 'foreach k {1 2} {'
wait_last '^\.\.\.>$' 5
key C-d
wait_last "$prompt" 3
ok $? "Ctrl-D at the continuation prompt drops the unfinished command, the shell stays" "$(snap)"
line 'set marker 67890'
wait_tail 3 '(heapinspect) set marker 67890|67890|(heapinspect)|'
ok $? "and the shell works on" "$(snap)"

# ---- the multi-line command last but one, then Ctrl-D ----
line 'foreach k {3 4} {'
line '    puts "k=$k"'
line '}'
wait_tail 3 'k=3|k=4|(heapinspect)|'
line 'set marker last'
wait_tail 3 '(heapinspect) set marker last|last|(heapinspect)|'
key C-d
wait_screen '^heapinspect exited with status 0$' 10
ok $? "Ctrl-D at an empty prompt leaves with status 0" "$(snap)"
untraced "$tpid"
ok $? "the target runs on after the shell left (state $(state "$tpid"))"
grep -qx 'set marker 12345' "$HIST" && grep -qx 'set marker last' "$HIST" && grep -qx 'foreach k {3 4} {' "$HIST" &&
	! grep -q typed-but-cancelled "$HIST"
ok $? "the history file holds the commands, not the cancelled line" "$HIST"

# ---- the next session reads the history ----
session
ok $? "a second session opens" "$(snap)"
key Up
wait_last '^\(heapinspect\) set marker last$' 5
ok $? "Up in a new session recalls the last command of the previous one" "$(snap)"
key Enter
wait_tail 3 '(heapinspect) set marker last|last|(heapinspect)|'
ok $? "and Enter runs it" "$(snap)"
fresh
key Up Up Up
sleep 0.3
key Enter
wait_tail 3 'k=3|k=4|(heapinspect)|'
ok $? "Up Up Up in a new session recalls the previous session's multi-line command whole, and it runs" "$(snap)"

# ---- SIGTERM ends the shell ----
fresh
hpid=$(pgrep -n -P "$(tm display -p -t hi '#{pane_pid}')")	# the pane's sh runs heapinspect
line 'set marker before-term'
wait_tail 3 '(heapinspect) set marker before-term|before-term|(heapinspect)|'
[ -n "$hpid" ] && kill -TERM "$hpid"
wait_screen '^heapinspect exited with status [0-9]+$' 10 && screen | grep -qx 'heapinspect exited with status 143'
ok $? "SIGTERM at the prompt: the shell leaves with status 143" "$(snap)"
untraced "$tpid"
ok $? "the target runs on after SIGTERM (state $(state "$tpid"))"
grep -qx 'set marker before-term' "$HIST"
ok $? "the history is saved on SIGTERM too" "$HIST"

tm kill-server 2>/dev/null
finish
