// gocpu: burn CPU in three functions, about 3:2:1, for a second, under
// runtime/pprof; the profile goes to the file named by the argument.
package main

import (
	"fmt"
	"os"
	"runtime/pprof"
	"time"
)

var sink uint64

// Each loop is its own, so that each function has its own flat time.

//go:noinline
func burnA() {
	x := sink
	for i := 0; i < 3000000; i++ {
		x = x*6364136223846793005 + 1442695040888963407
	}
	sink = x
}

//go:noinline
func burnB() {
	x := sink
	for i := 0; i < 2000000; i++ {
		x = x*6364136223846793005 + 1442695040888963407
	}
	sink = x
}

//go:noinline
func burnC() {
	x := sink
	for i := 0; i < 1000000; i++ {
		x = x*6364136223846793005 + 1442695040888963407
	}
	sink = x
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gocpu FILE")
		os.Exit(2)
	}
	f, err := os.Create(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for end := time.Now().Add(time.Second); time.Now().Before(end); {
		burnA()
		burnB()
		burnC()
	}
	pprof.StopCPUProfile()
	if err := f.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
