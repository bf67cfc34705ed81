#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/scripts/nginx-tests.sh [--kernel 6.1|6.12] [FILE.t ...]
#   (make nginx-tests: both kernels; not part of make check, ~15 min each)
#
# nginx's own test suite (../shared/peer/nginx-tests.sh, Debian's nginx) in
# the guest, twice in one boot: plain, then with scripts/http_guard.lua on
# every socket nginx accepts (tests/scripts/nginx-tests.conf).  Prints both
# runs' results, then the comparison:
#   * every test file that fails guarded but passes plain (h2, ssl, stream
#     and mail files carry other protocols and are listed apart);
#   * every request the guard refused, with the subtest it belongs to, the
#     guard's reason and the request line (tests/scripts/nginx-tests/
#     LuaulpTrace.pm).
# Exits 0 if no HTTP/1.x file fails guarded that passes plain.  The output
# is also kept in build/nginx-tests/KERNEL.log.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1
PEER=${LUAULP_PEER:-$ROOT/../shared/peer}

if [ -z "${LUAULP_VM:-}" ]; then
	kernel=6.1
	case ${1:-} in
	--kernel) kernel=${2:?}; shift 2 ;;
	--kernel=*) kernel=${1#*=}; shift ;;
	esac
	[ -x "$PEER/nginx-tests.sh" ] || { echo "nginx-tests: no $PEER/nginx-tests.sh" >&2; exit 2; }
	[ -r build/preload/libluaulp.so ] || { echo "nginx-tests: run make first" >&2; exit 2; }
	mkdir -p build/nginx-tests
	tests/vm/run --kernel "$kernel" --timeout "${LUAULP_NT_TIMEOUT:-6000}" -- \
		env LUAULP_PEER="$PEER" tests/scripts/nginx-tests.sh "$@" |
		tee "build/nginx-tests/$kernel.log"
	exit "${PIPESTATUS[0]}"
fi

# --- in the guest (root, repository root as cwd) ---------------------------

W=$(mktemp -d /tmp/luaulp-nt.XXXXXX)
other_protocol() { [[ $1 =~ ^(h2|ssl|stream|mail) ]]; }

echo "== kernel $(uname -r), nginx $(nginx -v 2>&1 | sed 's/.*\///')"
echo "== plain nginx"
"$PEER/nginx-tests.sh" "$@" | tee "$W/plain"
echo "== nginx under libluaulp.so, http_guard.lua on every accepted socket"
: >"$W/trace"
klog=$(dmesg | wc -l)
env PERL5LIB="$ROOT/tests/scripts/nginx-tests" PERL5OPT=-MLuaulpTrace LUAULP_NT_TRACE="$W/trace" \
	"$PEER/nginx-tests.sh" --shim build/preload/libluaulp.so --conf tests/scripts/nginx-tests.conf "$@" |
	tee "$W/guarded"

failed() { sed -n 's/^FAIL \(.*\)$/\1/p' "$1" | sort; }
echo
echo "== comparison"
regress=0
for f in $(comm -13 <(failed "$W/plain") <(failed "$W/guarded")); do
	if other_protocol "$f"; then
		echo "fails guarded only, another protocol: $f"
	else
		echo "FAILS GUARDED ONLY: $f"
		regress=$((regress + 1))
	fi
done
for f in $(comm -23 <(failed "$W/plain") <(failed "$W/guarded")); do
	echo "fails plain only: $f"
done
echo "requests the guard refused, by subtest (file, subtest, its result, name, reason, request line):"
sort -t $'\t' -k1,1 -k2,2n "$W/trace" | sed 's/^/  /'
echo "refusals in the kernel log, by reason:"
dmesg | tail -n +$((klog + 1)) | grep -a 'http_guard: ' | sed 's/.*http_guard: //' | sort | uniq -c | sort -rn
echo "plain: $(tail -1 "$W/plain"); guarded: $(tail -1 "$W/guarded")"
echo "$regress HTTP/1.x files fail guarded only"
[ "$regress" -eq 0 ]
