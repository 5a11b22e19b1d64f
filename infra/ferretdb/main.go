// Command firstmile-ferretdb is Firstmile's embedded MongoDB-wire database for
// machines without Docker: FerretDB 1.24 (embeddable package) on its SQLite
// backend, one SQLite file per database under -data.
//
// It exists because `go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.x`
// panics on the missing build/version/version.txt; the embeddable package does
// not need that file. tools/infra/embedded.mjs builds it with `go build` into
// .cache/infra/bin/ and starts it.
//
// Usage:
//
//	firstmile-ferretdb -listen 127.0.0.1:27017 -data .cache/data/default/ferretdb
//
// With FIRSTMILE_FERRETDB_PPROF=127.0.0.1:6060 in its environment it also serves
// Go's net/http/pprof there (loopback addresses only), so a profile can be taken
// under load: go tool pprof -top http://127.0.0.1:6060/debug/pprof/profile?seconds=20
//
// Telemetry is off (the embeddable package disables and locks it); nothing here
// opens an outgoing connection.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	_ "net/http/pprof" // served only when FIRSTMILE_FERRETDB_PPROF names a loopback address
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "TCP address to listen on (host:port)")
	dataDir := flag.String("data", "", "directory for the SQLite databases (created if missing; required)")
	logLevel := flag.String("log-level", "warn", "log level: debug, info, warn or error")
	parentPID := flag.Int("parent-pid", 0, "exit when the process with this pid is gone (0: do not watch)")
	gcPercent := flag.Int("gc-percent", 400, "Go GC target percentage when GOGC is not set (Go's default is 100)")
	flag.Parse()

	// Every statement decodes whole documents from their JSON into fresh objects: under an order
	// burst the collector took 15-20 % of this process's CPU at Go's default. A larger target
	// trades memory for it (the bench's order burst peaks at about 500 MiB, with patch 0007's
	// parser pool); the soft limit keeps a runaway heap collected.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(*gcPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(1 << 30)
	}

	if *dataDir == "" {
		fmt.Fprintln(os.Stderr, "firstmile-ferretdb: -data is required")
		flag.Usage()
		os.Exit(2)
	}

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(os.Stderr, "firstmile-ferretdb: bad -log-level %q: %v\n", *logLevel, err)
		os.Exit(2)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(logger)

	dir, err := filepath.Abs(*dataDir)
	if err != nil {
		fatal(logger, "bad -data", err)
	}
	if err = os.MkdirAll(dir, 0o755); err != nil {
		fatal(logger, "cannot create data directory", err)
	}

	// SQLite handler takes a directory URI that must end with a slash.
	sqliteURL := "file:" + filepath.ToSlash(dir)
	if !strings.HasSuffix(sqliteURL, "/") {
		sqliteURL += "/"
	}
	// BEGIN IMMEDIATE takes the write lock up front and waits for it under the
	// busy timeout; a deferred transaction that reads and then writes fails at
	// once with SQLITE_BUSY when another connection committed in between.
	// synchronous=NORMAL in WAL mode syncs at checkpoints rather than at every
	// commit: committed writes survive a crash of any process (what the chaos
	// suite does to it), not a power loss of the machine. This is a development
	// and test store; production runs MongoDB (docker-compose.yml).
	sqliteURL += "?_txlock=immediate&_pragma=synchronous(normal)"

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Handler:   "sqlite",
		SQLiteURL: sqliteURL,
		Logger:    logger,
	})
	if err != nil {
		fatal(logger, "cannot start FerretDB", err)
	}

	if addr := os.Getenv("FIRSTMILE_FERRETDB_PPROF"); addr != "" {
		servePprof(addr, logger)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if *parentPID > 0 {
		ctx = watchParent(ctx, *parentPID, logger)
	}

	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()

	select {
	case err = <-done:
		// Run returned on its own (listener failure) or after ctx was cancelled.
	case <-ctx.Done():
		// Give connections a moment to close, then leave regardless.
		select {
		case err = <-done:
		case <-time.After(10 * time.Second):
			logger.Warn("shutdown took longer than 10s; exiting anyway")
		}
	}

	if err != nil && !errors.Is(err, context.Canceled) {
		fatal(logger, "FerretDB stopped", err)
	}
}

// watchParent returns a context that is cancelled when pid no longer exists,
// so the database does not outlive the Node.js process that started it even
// if that one is killed with SIGKILL.
func watchParent(ctx context.Context, pid int, logger *slog.Logger) context.Context {
	ctx, cancel := context.WithCancel(ctx)
	startPPID := os.Getppid()
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if parentGone(pid, startPPID) {
					logger.Warn("parent process is gone; shutting down", slog.Int("parent_pid", pid))
					cancel()
					return
				}
			}
		}
	}()
	return ctx
}

// parentGone reports whether the watched process has exited. When it is our
// direct parent, a change of our parent pid (re-parenting to init or a
// subreaper) is exact and immune to pid reuse; otherwise probe with signal 0.
func parentGone(pid, startPPID int) bool {
	if pid == startPPID {
		return os.Getppid() != startPPID
	}
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

// servePprof serves the default mux (where net/http/pprof registers) on addr,
// which must be a loopback address: profiles expose the process's internals.
func servePprof(addr string, logger *slog.Logger) {
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		fatal(logger, "FIRSTMILE_FERRETDB_PPROF must be a loopback host:port", fmt.Errorf("got %q", addr))
	}
	// Where statements wait (the write locks, the connection pool) shows in the block and mutex
	// profiles; sampled, so the cost under load stays small.
	runtime.SetBlockProfileRate(100_000)
	runtime.SetMutexProfileFraction(10)
	go func() {
		if err := http.ListenAndServe(addr, nil); err != nil {
			logger.Warn("pprof server stopped", slog.String("error", err.Error()))
		}
	}()
}

func fatal(logger *slog.Logger, msg string, err error) {
	logger.Error(msg, slog.String("error", err.Error()))
	os.Exit(1)
}
