package tray

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"time"
)

// Windows starts the window process (`claudeflare ui --tray NAME`) and
// talks to it (docs/DESIGN.md, "The tray and its windows"): one at a time;
// a window asked for while it runs is opened or raised in it by a line on
// its standard input ("show usage"), which it acknowledges on its standard
// output ("shown usage") once the window is up. Its standard input closing
// (the tray quit or died) ends it.
type Windows struct {
	// Command makes the command of a new window process that opens the
	// named windows: os.Executable() ui --tray NAME… in the app.
	Command func(names ...string) *exec.Cmd
	// Exited, when set, is called (on its own goroutine) each time a
	// window process ends, with how it ended.
	Exited func(error)
	// AckWait bounds the wait for an acknowledgement; 5 s if zero. A
	// window process that exits meanwhile (its last window was closing)
	// is replaced by a new one.
	AckWait time.Duration

	mu     sync.Mutex
	cur    *child
	closed bool // after Close: the tray is quitting, no window opens
}

// child is one running window process.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	acks  chan string
	done  chan struct{}
	err   error // how it ended, once done is closed
}

// Show opens the named windows (accounts, usage, settings, login), or
// brings them forward if they are open. It returns once they are up, or the
// wait for them ran out.
func (w *Windows) Show(names ...string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return errors.New("the tray is quitting")
	}
	if c := w.cur; c != nil {
		if err := c.show(names, w.ackWait()); err == nil {
			return nil
		}
		<-c.done // it was exiting: start another
	}
	c, err := w.start(names)
	if err != nil {
		return err
	}
	w.cur = c
	deadline := time.After(w.ackWait())
	for range names {
		select {
		case <-c.acks:
		case <-c.done:
			return fmt.Errorf("the window process ended at start: %v", c.err)
		case <-deadline:
			return nil
		}
	}
	return nil
}

// Close ends the window process, if one runs: its windows close. It asks
// first (closing its standard input) and kills it after wait. No window
// opens after it.
func (w *Windows) Close(wait time.Duration) {
	w.mu.Lock()
	c := w.cur
	w.closed = true
	w.mu.Unlock()
	if c == nil {
		return
	}
	_ = c.stdin.Close()
	select {
	case <-c.done:
	case <-time.After(wait):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}

func (w *Windows) ackWait() time.Duration {
	if w.AckWait > 0 {
		return w.AckWait
	}
	return 5 * time.Second
}

// start runs a new window process opening names.
func (w *Windows) start(names []string) (*child, error) {
	cmd := w.Command(names...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the window process: %w", err)
	}
	c := &child{cmd: cmd, stdin: stdin, acks: make(chan string, 8), done: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if name, ok := strings.CutPrefix(sc.Text(), "shown "); ok {
				select {
				case c.acks <- name:
				default:
				}
			}
		}
		c.err = cmd.Wait() // after the last read, as os/exec asks
		close(c.done)      // first: Show may hold mu while it waits for this
		w.mu.Lock()
		if w.cur == c {
			w.cur = nil
		}
		w.mu.Unlock()
		if w.Exited != nil {
			w.Exited(c.err)
		}
	}()
	return c, nil
}

// show asks a running window process to show names. An error: it is gone
// or going before it acknowledged them all. A slow one is taken as alive
// (no second process is started).
func (c *child) show(names []string, wait time.Duration) error {
	for len(c.acks) > 0 { // acknowledgements nobody waited for
		<-c.acks
	}
	for _, name := range names {
		if _, err := io.WriteString(c.stdin, "show "+name+"\n"); err != nil {
			return err
		}
	}
	deadline := time.After(wait)
	for range names {
		select {
		case <-c.acks:
		case <-c.done:
			return errors.New("the window process ended")
		case <-deadline:
			return nil
		}
	}
	return nil
}

// SelfCommand is Windows.Command for this binary (exe: os.Executable()):
// `exe ui --tray NAME…`, with the tray's environment but CLAUDEFLARE_SHOW
// (the tray already passes those names) and its standard error.
func SelfCommand(exe string, stderr io.Writer) func(names ...string) *exec.Cmd {
	return func(names ...string) *exec.Cmd {
		cmd := exec.Command(exe, append([]string{"ui", "--tray"}, names...)...)
		cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "CLAUDEFLARE_SHOW=") })
		cmd.Stderr = stderr
		return cmd
	}
}
