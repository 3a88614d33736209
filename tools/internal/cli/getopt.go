package cli

import "fmt"

// DefaultClientConf is the client.conf the C stat tools read without -c.
const DefaultClientConf = "/etc/fdfs/client.conf"

// Opt is one option getopt found: its letter and, for options taking a
// value, the value.
type Opt struct {
	Name  byte
	Value string
}

// Getopt parses args as POSIX getopt(3) with optstring spec ("hc:AN": a
// letter followed by ':' takes a value, attached "-cFILE" or separate "-c
// FILE"; letters combine, "-Ad"). Parsing stops at "--" or the first
// operand; the operands are returned. C's stat tools read their command
// line this way.
func Getopt(args []string, spec string) ([]Opt, []string, error) {
	takes := map[byte]bool{}
	known := map[byte]bool{}
	for i := 0; i < len(spec); i++ {
		known[spec[i]] = true
		if i+1 < len(spec) && spec[i+1] == ':' {
			takes[spec[i]] = true
			i++
		}
	}
	var opts []Opt
	for len(args) > 0 {
		a := args[0]
		if a == "--" {
			return opts, args[1:], nil
		}
		if len(a) < 2 || a[0] != '-' {
			break
		}
		args = args[1:]
		for j := 1; j < len(a); j++ {
			ch := a[j]
			if !known[ch] || ch == ':' {
				return opts, args, fmt.Errorf("invalid option -- '%c'", ch)
			}
			if !takes[ch] {
				opts = append(opts, Opt{Name: ch})
				continue
			}
			if j+1 < len(a) {
				opts = append(opts, Opt{Name: ch, Value: a[j+1:]})
			} else if len(args) > 0 {
				opts = append(opts, Opt{Name: ch, Value: args[0]})
				args = args[1:]
			} else {
				return opts, args, fmt.Errorf("option requires an argument -- '%c'", ch)
			}
			break
		}
	}
	return opts, args, nil
}
