package conf

import (
	"bytes"
	"errors"
	"io/fs"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
)

// Limits of libfastcommon's ini reader (FAST_INI_ITEM_NAME_LEN / _VALUE_LEN).
const (
	MaxKeyLen   = 63
	MaxValueLen = 255
)

// maxIncludeDepth bounds #include nesting. C has no bound (it recurses until
// it runs out of file descriptors); FastDFS confs nest at most once.
const maxIncludeDepth = 16

// Item is one "key = value" line.
type Item struct {
	Section string // "" for the global section
	Key     string
	Value   string
	File    string // the file the line was read from, as opened
	Line    int    // 1-based
}

// Pos is "file:line", the form every message of this package uses.
func (it Item) Pos() string { return it.File + ":" + strconv.Itoa(it.Line) }

// Section is a named group of items in file order. Repeated [name] headers
// (also across #include files) merge into one Section.
type Section struct {
	Name  string
	Items []Item
}

// Last returns the last occurrence of key: C's single-value read.
func (s *Section) Last(key string) (Item, bool) {
	if s == nil {
		return Item{}, false
	}
	for i := len(s.Items) - 1; i >= 0; i-- {
		if s.Items[i].Key == key {
			return s.Items[i], true
		}
	}
	return Item{}, false
}

// All returns every occurrence of key in file order (tracker_server,
// allow_hosts and other multi-value keys).
func (s *Section) All(key string) []Item {
	if s == nil {
		return nil
	}
	var out []Item
	for _, it := range s.Items {
		if it.Key == key {
			out = append(out, it)
		}
	}
	return out
}

// INI is a parsed file with its includes.
type INI struct {
	sections []*Section // [0] is the global section
	index    map[string]int
}

func newINI() *INI {
	return &INI{sections: []*Section{{}}, index: map[string]int{"": 0}}
}

// Global is the section of the items before any [name] header (and of all
// items of #include files that have no header of their own).
func (c *INI) Global() *Section { return c.sections[0] }

// Section returns the named section, or nil if the file has none of that
// name. Section("") is the global section.
func (c *INI) Section(name string) *Section {
	if i, ok := c.index[name]; ok {
		return c.sections[i]
	}
	return nil
}

// Sections lists all sections, global first, the others in order of first
// appearance.
func (c *INI) Sections() []*Section { return c.sections }

func (c *INI) sectionFor(name string) *Section {
	if i, ok := c.index[name]; ok {
		return c.sections[i]
	}
	s := &Section{Name: name}
	c.index[name] = len(c.sections)
	c.sections = append(c.sections, s)
	return s
}

// Format writes the items back as ini text (global section first, then the
// others), one "key=value" per line. Parsing the result gives the same
// sections and items, except for the one thing the dialect cannot express: an
// item whose key starts with "[" and whose (truncated) value ends with "]"
// reads back as a section header.
func (c *INI) Format() []byte {
	var b bytes.Buffer
	for i, s := range c.sections {
		if i > 0 {
			b.WriteString("[" + s.Name + "]\n")
		}
		for _, it := range s.Items {
			// No spaces around '=': a space would count toward the 63/255
			// byte limits on the way back in.
			b.WriteString(it.Key + "=" + it.Value + "\n")
		}
	}
	return b.Bytes()
}

// LoadINI reads and parses the file at path, following its #include lines.
func LoadINI(path string, opts ...Option) (*INI, error) {
	return loadINI(path, newOptions(opts))
}

// ParseINI parses data as if it had been read from a file called name;
// #include paths are resolved against name's directory.
func ParseINI(name string, data []byte, opts ...Option) (*INI, error) {
	return parseINI(name, data, newOptions(opts))
}

func loadINI(path string, o *options) (*INI, error) {
	data, err := o.readFile(path)
	if err != nil {
		return nil, &Error{File: path, Msg: "cannot read: " + errText(err), Err: err}
	}
	return parseINI(path, data, o)
}

func parseINI(name string, data []byte, o *options) (*INI, error) {
	p := &iniParser{log: o.log, readFile: o.readFile, ini: newINI(), topDir: filepath.Dir(name)}
	if err := p.parseFile(name, data); err != nil {
		return nil, err
	}
	return p.ini, nil
}

type iniParser struct {
	log      *slog.Logger
	readFile func(string) ([]byte, error)
	ini      *INI
	topDir   string   // C resolves every relative #include against the top file's directory
	stack    []string // absolute paths of the files being read, for cycle detection
}

// parseFile reads one file's lines into p.ini. Items go to the global
// section until a [name] header; C resets to global at the start of an
// included file and again after it.
func (p *iniParser) parseFile(file string, data []byte) error {
	p.stack = append(p.stack, absPath(file))
	defer func() { p.stack = p.stack[:len(p.stack)-1] }()

	current := p.ini.Global()
	for lineNo := 1; len(data) > 0; lineNo++ {
		var raw []byte
		if nl := bytes.IndexByte(data, '\n'); nl >= 0 {
			raw, data = data[:nl], data[nl+1:]
		} else {
			raw, data = data, nil
		}
		if bytes.IndexByte(raw, 0) >= 0 {
			// C reads the file as a C string and silently stops at a NUL.
			return &Error{File: file, Line: lineNo, Msg: "NUL byte in the file (FastDFS would ignore everything after it)"}
		}

		// C recognises #include and #@function only at column 0, before trimming.
		if isIncludeLine(raw) {
			if err := p.include(file, lineNo, string(trimSpace(raw[len("#include "):]))); err != nil {
				return err
			}
			current = p.ini.Global()
			continue
		}

		line := trimSpace(raw)
		if len(line) == 0 {
			continue
		}
		if line[0] == '#' {
			if word := directiveWord(line); word != "" {
				return &Error{File: file, Line: lineNo,
					Msg: "#@" + word + " is not supported (libfastcommon preprocessing/annotation directives are not implemented; FastDFS's own confs do not use them)"}
			}
			if isIncludeLine(line) {
				p.log.Warn("conf: indented #include is a comment for FastDFS; ignored",
					"at", file+":"+strconv.Itoa(lineNo))
			}
			continue
		}
		if line[0] == '[' && line[len(line)-1] == ']' {
			current = p.ini.sectionFor(string(trimSpace(line[1 : len(line)-1])))
			continue
		}

		eq := bytes.IndexByte(line, '=')
		if eq < 0 {
			p.log.Warn("conf: line without '=' ignored", "at", file+":"+strconv.Itoa(lineNo), "line", string(line))
			continue
		}
		// C truncates before trimming, so spaces around '=' count toward the limits.
		key, value := line[:eq], line[eq+1:]
		if len(key) > MaxKeyLen {
			p.log.Warn("conf: key longer than 63 bytes truncated", "at", file+":"+strconv.Itoa(lineNo),
				"key", string(key[:MaxKeyLen]))
			key = key[:MaxKeyLen]
		}
		if len(value) > MaxValueLen {
			p.log.Warn("conf: value longer than 255 bytes truncated", "at", file+":"+strconv.Itoa(lineNo),
				"key", string(trimSpace(key)))
			value = value[:MaxValueLen]
		}
		current.Items = append(current.Items, Item{
			Section: current.Name,
			Key:     string(trimSpace(key)),
			Value:   string(trimSpace(value)),
			File:    file,
			Line:    lineNo,
		})
	}
	return nil
}

// include reads the file named on an #include line of file:lineNo.
func (p *iniParser) include(file string, lineNo int, target string) error {
	at := func(msg string, err error) error {
		return &Error{File: file, Line: lineNo, Msg: msg, Err: err}
	}
	if target == "" {
		return at("#include without a file name", nil)
	}
	if hasPrefixFold(target, "http://") || hasPrefixFold(target, "https://") {
		return at("#include "+target+": including a URL is not supported; copy the file next to the conf", nil)
	}
	if hasPrefixFold(target, "file://") {
		target = target[len("file://"):]
	}

	path := target
	if !filepath.IsAbs(target) {
		path = filepath.Join(p.topDir, target)
	}
	data, err := p.readFile(path)
	if err != nil && errors.Is(err, fs.ErrNotExist) && !filepath.IsAbs(target) {
		// C looks only in the top-level conf's directory. A nested include
		// written relative to its own file is found too, with a warning,
		// because the C servers would not find it.
		if local := filepath.Join(filepath.Dir(file), target); local != path {
			if d, lerr := p.readFile(local); lerr == nil {
				p.log.Warn("conf: #include found relative to the including file; FastDFS resolves it against "+p.topDir+" and would not find it",
					"at", file+":"+strconv.Itoa(lineNo), "file", local)
				data, err, path = d, nil, local
			}
		}
	}
	if err != nil {
		return at("#include "+target+": "+errText(err), err)
	}
	abs := absPath(path)
	for _, open := range p.stack {
		if open == abs {
			return at("#include cycle: "+strings.Join(append(p.stack, abs), " -> "), nil)
		}
	}
	if len(p.stack) >= maxIncludeDepth {
		return at("#include nested more than "+strconv.Itoa(maxIncludeDepth)+" deep", nil)
	}
	return p.parseFile(path, data)
}

// absPath names a file uniquely enough for cycle detection.
func absPath(file string) string {
	if abs, err := filepath.Abs(file); err == nil {
		return abs
	}
	return filepath.Clean(file)
}

// isIncludeLine reports "#include" (any case) followed by a space or tab.
func isIncludeLine(line []byte) bool {
	const kw = "#include"
	return len(line) > len(kw) && line[0] == '#' &&
		strings.EqualFold(string(line[1:len(kw)]), kw[1:]) &&
		(line[len(kw)] == ' ' || line[len(kw)] == '\t')
}

// directiveWord returns the name of a libfastcommon "#@" directive on a
// trimmed comment line, or "". C matches the preprocessing tags by case and
// @function without.
func directiveWord(line []byte) string {
	if len(line) < 3 || line[0] != '#' || line[1] != '@' {
		return ""
	}
	word := line[2:]
	if i := bytes.IndexAny(word, " \t"); i >= 0 {
		word = word[:i]
	}
	switch w := string(word); w {
	case "set", "if", "else", "endif", "for", "endfor":
		return w
	default:
		if strings.EqualFold(w, "function") || strings.EqualFold(w, "add_annotation") {
			return w
		}
	}
	return ""
}

// trimSpace trims what libfastcommon's trim() trims: space, tab, CR, LF.
func trimSpace(b []byte) []byte {
	for len(b) > 0 && isTrimByte(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isTrimByte(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

func isTrimByte(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// errText is err's message without a repeated path: fs.PathError already
// names the file, which our message names too.
func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
