#!/bin/sh
# layers.sh: src/ is cut by concern into layers (doc/design.md, "Layers"),
# and a file includes only its own folder's headers and those of layers
# below it: no include runs back up and no two files include each other.
# The ranks here are the table's; a new folder must be ranked to pass.
. "${HI_SRCDIR:-$(dirname "$0")}/test-subr.sh"

src=$(cd "${HI_SRCDIR:-$(dirname "$0")}/../src" && pwd)

rank() {	# rank FOLDER: its layer, or nothing if it has none
	case $1 in
	util) echo 1 ;; proc) echo 2 ;; dwarf) echo 3 ;; mem) echo 4 ;;
	emu) echo 5 ;; python) echo 6 ;; census) echo 7 ;; walk | report) echo 8 ;;
	memory) echo 9 ;; session) echo 10 ;; cmd) echo 11 ;; .) echo 12 ;;
	esac
}

# Every "..." include of every source, as: FILE FOLDER INCLUDED-FOLDER.
: >"$WORK/bad"
: >"$WORK/edges"
nfiles=0 nincl=0
for f in "$src"/*.[ch] "$src"/*/*.[ch]; do
	[ -f "$f" ] || continue
	nfiles=$((nfiles + 1))
	rel=${f#"$src"/}
	case $rel in */*) dir=${rel%%/*} ;; *) dir=. ;; esac
	r=$(rank "$dir")
	[ -n "$r" ] || { echo "$rel: folder $dir has no layer" >>"$WORK/bad"; continue; }
	for inc in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f"); do
		[ "$inc" = config.h ] && continue
		nincl=$((nincl + 1))
		case $inc in */*) idir=${inc%%/*} ;; *) idir=. ;; esac
		if [ ! -f "$src/$inc" ]; then
			echo "$rel: includes $inc, which is not src/$inc (name the folder)" >>"$WORK/bad"
			continue
		fi
		echo "$rel $inc" >>"$WORK/edges"
		[ "$idir" = "$dir" ] && continue
		ir=$(rank "$idir")
		if [ -z "$ir" ] || [ "$ir" -ge "$r" ]; then
			echo "$rel (layer $r) includes $inc (layer ${ir:-none})" >>"$WORK/bad"
		fi
	done
done
[ ! -s "$WORK/bad" ]
ok $? "every include names its folder and runs down the layers" "$WORK/bad"
[ "$nfiles" -ge 40 ] && [ "$nincl" -ge 100 ]
ok $? "the check saw the tree ($nfiles files, $nincl includes)"

# Within a folder: no circle.  tsort reports a cycle on stderr.  A header
# and its own .c are one unit: x.c -> x.h is not an edge of the graph.
sed 's/\.[ch] / /; s/\.[ch]$//' "$WORK/edges" | awk '$1 != $2' >"$WORK/units"
tsort "$WORK/units" >/dev/null 2>"$WORK/cycle"
[ ! -s "$WORK/cycle" ]
ok $? "no two sources include each other, directly or around a circle" "$WORK/cycle"

finish
