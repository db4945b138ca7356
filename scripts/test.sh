#!/usr/bin/env bash
# The whole test suite, as run by a newcomer on a fresh machine and by CI
# (.ci/run calls exactly this). It installs what the tests need, checks
# formatting and vet, runs every test with the race detector, then runs each
# fuzz target for a bounded time (FUZZTIME, default 4s; 0 skips fuzzing).
set -euo pipefail
cd "$(dirname "$0")/.."

fuzztime=${FUZZTIME:-4s}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== go modules"
go mod download
# The gorilla peer of the capture tests is a module of its own
# (interop/capturepeers), built by interop's tests.
(cd interop/capturepeers && go mod download)

echo "== interop peers"
# The interop tests (interop/) talk to Python websockets, Node ws and
# Chromium, and capture traffic with tcpdump and tshark; they fail, not
# skip, when one is missing. Installed only when missing, so a second run
# does nothing.
missing=()
dpkg -s python3-websockets >/dev/null 2>&1 || missing+=(python3-websockets)
dpkg -s python3-autobahn >/dev/null 2>&1 || missing+=(python3-autobahn)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
# The capture tests (interop/capture_test.go) record loopback traffic with
# tcpdump and compare ws inspect with tshark's decoding.
command -v tcpdump >/dev/null 2>&1 || missing+=(tcpdump)
command -v tshark >/dev/null 2>&1 || missing+=(tshark)
# nghttpx (interop/nghttpx_test.go) is the other RFC 8441 implementation
# that wskit's HTTP/2 client is tested against.
command -v nghttpx >/dev/null 2>&1 || missing+=(nghttp2-proxy)
# The broker modules (broker/redis, broker/nats) test against real
# brokers that their tests start on loopback ports.
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v nats-server >/dev/null 2>&1 || missing+=(nats-server)
if [ ${#missing[@]} -gt 0 ]; then
	sudo=()
	if [ "$(id -u)" != 0 ]; then
		command -v sudo >/dev/null 2>&1 || { echo "need root or sudo to install: ${missing[*]}" >&2; exit 1; }
		sudo=(sudo)
	fi
	for attempt in 1 2 3 4 5; do # another apt may hold the lock
		if "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 update &&
			"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 install -y --no-install-recommends "${missing[@]}"; then
			break
		fi
		[ "$attempt" = 5 ] && { echo "apt-get install ${missing[*]} failed" >&2; exit 1; }
		sleep 10
	done
fi
if ! [ interop/node_modules/.package-lock.json -nt interop/package-lock.json ]; then
	(cd interop && npm ci --no-audit --no-fund)
fi

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change:" >&2
	echo "$unformatted" >&2
	exit 1
fi

echo "== go vet"
go vet ./...
# interop/capturepeers is a module of its own: the gorilla peer of the
# capture tests, which build it.
(cd interop/capturepeers && go vet ./...)

echo "== js/wasm: build and vet (Dial runs over the browser's WebSocket there)"
GOOS=js GOARCH=wasm go build ./...
GOOS=js GOARCH=wasm go vet ./... ./interop/testdata/wasmclient

echo "== dependencies"
# The protocol core builds on the standard library alone, and wire does no
# I/O, reads no clock and starts no goroutine (DESIGN.md).
outside=$(go list -deps -f '{{if not .Standard}}{{.ImportPath}}{{end}}' ./wire ./handshake | grep -v '^github.com/wskit/websocket' || true)
if [ -n "$outside" ]; then
	echo "wire and handshake must use only the standard library; they import:" >&2
	echo "$outside" >&2
	exit 1
fi
# deflate may add the one compression library chosen by measurement.
outside=$(go list -deps -f '{{if not .Standard}}{{.ImportPath}}{{end}}' ./deflate | grep -v -e '^github.com/wskit/websocket' -e '^github.com/klauspost/compress' || true)
if [ -n "$outside" ]; then
	echo "deflate may use only the standard library and klauspost/compress; it imports:" >&2
	echo "$outside" >&2
	exit 1
fi
# inspect sits on wire, handshake and deflate, never on the live
# connection (the root package); capture files and TCP are inspect/pcap's.
outside=$(go list -deps -f '{{if not .Standard}}{{.ImportPath}}{{end}}' ./inspect | grep -v -x -e 'github.com/wskit/websocket/inspect' -e 'github.com/wskit/websocket/wire' -e 'github.com/wskit/websocket/handshake' -e 'github.com/wskit/websocket/deflate' | grep -v '^github.com/klauspost/compress' || true)
if [ -n "$outside" ]; then
	echo "inspect may use only the standard library, wire, handshake and deflate; it imports:" >&2
	echo "$outside" >&2
	exit 1
fi
if go list -deps ./inspect/... | grep -qx 'github.com/wskit/websocket'; then
	echo "inspect/... must not import the root package (the live connection)" >&2
	exit 1
fi
forbidden=$(go list -f '{{join .Imports "\n"}}' ./wire | grep -xE 'net|net/.*|os|time|sync|io/fs' || true)
if [ -n "$forbidden" ]; then
	echo "wire must stay sans-I/O; it imports:" >&2
	echo "$forbidden" >&2
	exit 1
fi
# The endpoint is the protocol state machine every driver shares: no I/O,
# no clock, no locks of its own (DESIGN.md, Architecture).
forbidden=$(go list -f '{{join .Imports "\n"}}' ./endpoint | grep -xE 'net|net/.*|os|time|sync|sync/.*|io/fs' || true)
if [ -n "$forbidden" ]; then
	echo "endpoint must stay sans-I/O; it imports:" >&2
	echo "$forbidden" >&2
	exit 1
fi
outside=$(go list -deps -f '{{if not .Standard}}{{.ImportPath}}{{end}}' ./endpoint | grep -v -x -e 'github.com/wskit/websocket/endpoint' -e 'github.com/wskit/websocket/wire' -e 'github.com/wskit/websocket/handshake' -e 'github.com/wskit/websocket/deflate' | grep -v '^github.com/klauspost/compress' || true)
if [ -n "$outside" ]; then
	echo "endpoint may use only the standard library, wire and deflate; it imports:" >&2
	echo "$outside" >&2
	exit 1
fi

# The event-loop server drives the endpoint and nothing else of wskit: no
# root package, no server/ (which is to offer it as a mode).
outside=$(go list -deps -f '{{if not .Standard}}{{.ImportPath}}{{end}}' ./loop | grep -v -x -e 'github.com/wskit/websocket/loop' -e 'github.com/wskit/websocket/endpoint' -e 'github.com/wskit/websocket/wire' -e 'github.com/wskit/websocket/handshake' -e 'github.com/wskit/websocket/deflate' | grep -v '^github.com/klauspost/compress' || true)
if [ -n "$outside" ]; then
	echo "loop may use only the standard library, endpoint, wire, handshake and deflate; it imports:" >&2
	echo "$outside" >&2
	exit 1
fi

# The long phases below all run even when one fails, and the failures are
# listed at the end. Each prints a line at least every 30 s (testprogress
# reads go test's -json stream: packages as they end, what is still running,
# the whole output of a failing test, and every skipped test by name).
go build -o "$tmp/testprogress" ./internal/cmd/testprogress
failed=()
gotest() { # gotest LABEL ARGS...: go test -json ARGS through testprogress
	local label=$1
	shift
	go test -json "$@" 2>&1 | "$tmp/testprogress" -label "$label" -every 30s -failures "$tmp/failures.${label//\//-}"
	local rc=("${PIPESTATUS[@]}")
	[ "${rc[0]}" = 0 ] && [ "${rc[1]}" = 0 ]
}
step() { # step NAME CMD...: runs a phase, reports its time, records a failure
	local name=$1 start=$SECONDS
	shift
	if "$@"; then
		echo "-- $name: ok in $((SECONDS - start)) s"
	else
		echo "-- $name: FAILED in $((SECONDS - start)) s"
		failed+=("$name")
	fi
}

# Nested modules (test peers and broker clients kept out of the main
# go.mod) are not reached by ./...; each is vetted and tested on its own.
module_tests() { # module_tests DIR: vet and go test -race in a nested module
	(cd "$1" && go vet ./... && gotest "$1" -race -count=1 -timeout 45m ./...)
}

echo "== go test -race"
# No test sets a wall-clock limit of its own that a loaded machine can
# exceed; each waits until shortly before this -timeout.
step "go test -race" gotest race -race -count=1 -timeout 45m ./...

# A nested module, which ./... above does not reach: gorilla/websocket
# interop, kept out of the main go.mod.
echo "== interop/gorilla (its own module): gorilla/websocket against wskit"
step interop/gorilla module_tests interop/gorilla

echo "== allocation assertions, without the race detector"
# Under -race sync.Pool drops items at random, so these skip there and run
# here: steady-state reads and writes must allocate nothing.
step "allocation assertions" gotest allocs -count=1 -run 'Allocs|NoSecondCopy' . ./wsjson

echo "== conformance: ws serve --echo, the event-loop echo (package loop) and ws dial --echo, all 517 cases"
# Too slow under the race detector, so they skip there and run here; any
# FAILED or UNIMPLEMENTED case fails the run. CONFORMANCE_REPORTS=DIR keeps
# the HTML reports.
step conformance gotest conformance -count=1 -timeout 60m -run '^TestWskit(Server|LoopServer|Client)$' ./cmd/ws

echo "== conformance: the judge against the reference servers, all 517 cases each"
# ws check's verdicts on the gorilla and coder echo servers (built from
# ../shared/conformance/reference with modules from the proxy) must agree
# with the original suite's on every case but those documented in
# conformance/REFERENCE.md. Too slow under -race, so it runs here.
step "reference servers" gotest reference -count=1 -timeout 60m -run '^TestReferenceServers$' ./conformance

fuzz_all() { # every fuzz target for $fuzztime; fails if any target failed
	local fuzzlog fuzzfail=() pkg dir target ntargets=0
	fuzzlog=$(mktemp)
	# Targets are found by name in the test files, which saves building
	# every package's tests to ask it (go test -list).
	while read -r pkg dir; do
		for target in $(cat "$dir"/*_test.go 2>/dev/null | sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p'); do
			echo "-- $pkg $target"
			ntargets=$((ntargets + 1))
			fuzz() {
				go test -run='^$' -fuzz="^${target}\$" -fuzztime="$fuzztime" -fuzzminimizetime=200x "$pkg" </dev/null 2>&1 | tee "$fuzzlog"
				return "${PIPESTATUS[0]}"
			}
			# Go 1.26's fuzz coordinator can fail a target at the end of
			# -fuzztime with a bare "context deadline exceeded" when a
			# worker is still busy (go.dev/issue/75804, fixed in Go 1.27);
			# on a loaded machine that came twice in a row. That failure
			# writes no input; a real one always does. Only then is the
			# target run again, at most twice more.
			local tries=1
			until fuzz; do
				if [ "$tries" -lt 3 ] && tail -n 5 "$fuzzlog" | grep -q '^    context deadline exceeded$' &&
					[ -z "$(git status --porcelain -- "$dir/testdata/fuzz" 2>/dev/null)" ]; then
					echo "-- $target: coordinator deadline race, no failing input written; running it again"
					tries=$((tries + 1))
				else
					fuzzfail+=("$target")
					break
				fi
			done
		done
	done < <(go list -f '{{.ImportPath}} {{.Dir}}' ./...)
	rm -f "$fuzzlog"
	[ "$ntargets" -gt 0 ] || { echo "no fuzz targets found"; return 1; }
	[ ${#fuzzfail[@]} = 0 ] || { echo "fuzz targets failed: ${fuzzfail[*]}"; return 1; }
}
if [ "$fuzztime" != "0" ]; then
	echo "== fuzz ($fuzztime each)"
	step fuzz fuzz_all
fi
# The broker modules are modules of their own (their clients stay out of
# the main go.mod), so ./... above does not reach them; their tests start a
# real redis-server and nats-server on loopback.
for mod in broker/redis broker/nats; do
	echo "== $mod (its own module): vet, go test -race against a real broker"
	step "$mod" module_tests "$mod"
done
echo "== bench/cluster (its own module): vet, and a small fan-out run on each broker"
step "bench/cluster" bash -c 'cd bench/cluster && go vet ./... && go run . -nodes 3 -clients 20 -messages 50'
echo "== compat/gorilla: gorilla-style programs built against gorilla and against compat/gorilla"
# A test-only module of its own (gorilla stays out of the main go.mod); its
# two copies of the programs differ only in the import path.
step compat/gorilla module_tests compat/gorilla/testdata/sameprog

echo "== bench (its own module): vet, tests, a few seconds of the harness"
bench_smoke() {
	(cd bench && go vet ./... && go test -count=1 ./... &&
		go run ./cmd/run -quick -libs wskit,gorilla -scenarios '^(echo c=1 16 B|idle .*|churn .*)$' -idle 200 -out "$tmp/bench")
}
step bench bench_smoke

if [ ${#failed[@]} -gt 0 ]; then
	# The failures again, briefly, where the end of a long log shows them.
	for f in "$tmp"/failures.*; do
		[ -s "$f" ] || continue
		echo "== what failed in ${f##*/failures.}:"
		head -n 80 "$f"
	done
	echo "== FAILED after $SECONDS s: ${failed[*]}" >&2
	exit 1
fi
echo "== all tests passed in $SECONDS s"
