// Package loopback finds a free loopback TCP port, for the tools that start
// Claudeflare and its fake on this machine (cfload, cfidle, cfdemo) and, through
// testkit.FreePort, for tests.
package loopback

import "net"

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
