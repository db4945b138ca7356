// Command echo runs one library's echo server for the benchmark.
//
//	echo -lib wskit [-addr 127.0.0.1:0] [-compress] [-broadcast] [-cpuprofile FILE]
//
// It prints the address it listens on, one line on standard output, and
// serves until SIGTERM or SIGINT. On SIGUSR1 it collects garbage and
// returns free memory to the system, so that its resident size shows what
// its connections hold (and writes a heap profile with -memprofile).
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"syscall"

	"github.com/wskit/websocket/bench/load"
	"github.com/wskit/websocket/bench/servers"
)

func main() {
	lib := flag.String("lib", "wskit", "library: wskit, gorilla, coder, gobwas, gws, nbio or tcp")
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on")
	compress := flag.Bool("compress", false, "accept permessage-deflate")
	broadcast := flag.Bool("broadcast", false, `answer "broadcast N" requests`)
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile to this file")
	memprofile := flag.String("memprofile", "", "write a heap profile to this file at each SIGUSR1, after the GC")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("echo: ")

	load.RaiseFileLimit(1 << 20) // 100,000s of idle connections
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
		}()
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	s, err := servers.Start(*lib, ln, servers.Options{Compress: *compress, Broadcast: *broadcast})
	if err != nil {
		log.Fatalf("%s: %v", *lib, err)
	}
	fmt.Println(ln.Addr())

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT, syscall.SIGUSR1)
	for s := range sig {
		if s != syscall.SIGUSR1 {
			break
		}
		runtime.GC()
		debug.FreeOSMemory()
		if *memprofile != "" {
			if f, err := os.Create(*memprofile); err == nil {
				pprof.Lookup("heap").WriteTo(f, 0)
				f.Close()
			}
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			log.Printf("heap in use %d KiB, stacks %d KiB, goroutines %d, other runtime %d KiB",
				m.HeapInuse>>10, m.StackInuse>>10, runtime.NumGoroutine(), (m.Sys-m.HeapSys-m.StackSys)>>10)
		}
	}
	s.Close()
}
