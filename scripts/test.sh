#!/usr/bin/env bash
# The whole test suite, as run by a newcomer on a fresh machine and by CI
# (.ci/run calls exactly this). It installs what the tests need, checks
# formatting and vet, runs every test with the race detector, then runs each
# fuzz target for a bounded time (FUZZTIME, default 10s; 0 skips fuzzing).
set -euo pipefail
cd "$(dirname "$0")/.."

fuzztime=${FUZZTIME:-10s}

echo "== go modules"
go mod download

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change:" >&2
	echo "$unformatted" >&2
	exit 1
fi

echo "== go vet"
go vet ./...

echo "== dependencies"
# The protocol core builds on the standard library alone, and wire does no
# I/O, reads no clock and starts no goroutine (DESIGN.md).
outside=$(go list -deps -f '{{if not .Standard}}{{.ImportPath}}{{end}}' ./wire ./handshake | grep -v '^github.com/wskit/websocket' || true)
if [ -n "$outside" ]; then
	echo "wire and handshake must use only the standard library; they import:" >&2
	echo "$outside" >&2
	exit 1
fi
forbidden=$(go list -f '{{join .Imports "\n"}}' ./wire | grep -xE 'net|net/.*|os|time|sync|io/fs' || true)
if [ -n "$forbidden" ]; then
	echo "wire must stay sans-I/O; it imports:" >&2
	echo "$forbidden" >&2
	exit 1
fi

echo "== go test -race"
go test -race -count=1 ./...

if [ "$fuzztime" != "0" ]; then
	echo "== fuzz ($fuzztime each)"
	for pkg in $(go list ./...); do
		for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
			echo "-- $pkg $target"
			go test -run='^$' -fuzz="^${target}\$" -fuzztime="$fuzztime" "$pkg"
		done
	done
fi
echo "== all tests passed"
