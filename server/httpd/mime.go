package httpd

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
)

// MimeTypes maps file extensions to Content-Type values. It is read-only
// after it is built, so the event loops share one.
type MimeTypes struct {
	byExt map[string]string
	def   string
}

// DefaultContentType is http.default_content_type's usual value, used when
// the key is empty.
const DefaultContentType = "application/octet-stream"

// builtinMime covers what photo, video and document hosts store, for a
// storage without http.mime_types_filename.
var builtinMime = [...][2]string{
	{"jpg", "image/jpeg"}, {"jpeg", "image/jpeg"}, {"jpe", "image/jpeg"}, {"png", "image/png"},
	{"gif", "image/gif"}, {"webp", "image/webp"}, {"bmp", "image/bmp"}, {"ico", "image/x-icon"},
	{"svg", "image/svg+xml"}, {"tif", "image/tiff"}, {"tiff", "image/tiff"}, {"avif", "image/avif"},
	{"heic", "image/heic"},
	{"mp4", "video/mp4"}, {"m4v", "video/mp4"}, {"webm", "video/webm"}, {"mov", "video/quicktime"},
	{"flv", "video/x-flv"}, {"avi", "video/x-msvideo"}, {"mkv", "video/x-matroska"},
	{"ts", "video/mp2t"}, {"m3u8", "application/vnd.apple.mpegurl"},
	{"mp3", "audio/mpeg"}, {"m4a", "audio/mp4"}, {"ogg", "audio/ogg"}, {"wav", "audio/x-wav"},
	{"flac", "audio/flac"}, {"aac", "audio/aac"},
	{"txt", "text/plain"}, {"html", "text/html"}, {"htm", "text/html"}, {"css", "text/css"},
	{"js", "application/javascript"}, {"json", "application/json"}, {"xml", "text/xml"},
	{"csv", "text/csv"},
	{"pdf", "application/pdf"}, {"zip", "application/zip"}, {"gz", "application/gzip"},
	{"tar", "application/x-tar"}, {"7z", "application/x-7z-compressed"}, {"rar", "application/x-rar-compressed"},
	{"doc", "application/msword"}, {"xls", "application/vnd.ms-excel"}, {"ppt", "application/vnd.ms-powerpoint"},
	{"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
	{"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
	{"pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
	{"apk", "application/vnd.android.package-archive"}, {"wasm", "application/wasm"},
	{"woff", "font/woff"}, {"woff2", "font/woff2"}, {"ttf", "font/ttf"},
}

// NewMimeTypes returns the built-in table, or when mimeTypes (the content
// of a mime.types file: "type ext ext ..." per line, '#' comments, as
// Apache's and nginx's) is non-nil, that table alone. def is the type for
// unknown extensions (DefaultContentType when empty).
func NewMimeTypes(mimeTypes []byte, def string) (*MimeTypes, error) {
	if def == "" {
		def = DefaultContentType
	}
	m := &MimeTypes{byExt: map[string]string{}, def: def}
	if mimeTypes == nil {
		for _, e := range builtinMime {
			m.byExt[e[0]] = e[1]
		}
		return m, nil
	}
	sc := bufio.NewScanner(bytes.NewReader(mimeTypes))
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if i := strings.IndexByte(text, '#'); i >= 0 {
			text = text[:i]
		}
		// nginx's mime.types wraps the list in "types { ... }" and ends
		// entries with ';': accept that form too.
		text = strings.NewReplacer(";", " ", "{", " ", "}", " ").Replace(text)
		f := strings.Fields(text)
		if len(f) == 0 || len(f) == 1 && f[0] == "types" {
			continue
		}
		if !strings.Contains(f[0], "/") {
			return nil, fmt.Errorf("mime types line %d: %q is not a media type", line, f[0])
		}
		for _, ext := range f[1:] {
			if _, dup := m.byExt[strings.ToLower(ext)]; !dup { // the first mapping wins, as in Apache
				m.byExt[strings.ToLower(ext)] = f[0]
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("mime types: %w", err)
	}
	return m, nil
}

// Len is the number of extensions known.
func (m *MimeTypes) Len() int { return len(m.byExt) }

// Default is the type for unknown extensions.
func (m *MimeTypes) Default() string { return m.def }

// ByExt is the type of extension ext (without the dot, any case).
func (m *MimeTypes) ByExt(ext []byte) string {
	var buf [16]byte
	if len(ext) == 0 || len(ext) > len(buf) {
		return m.def
	}
	low := buf[:len(ext)]
	for i, c := range ext {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		low[i] = c
	}
	if t, ok := m.byExt[string(low)]; ok {
		return t
	}
	return m.def
}

// ByName is the type of a file name or path by its extension: what follows
// the last '.' of its last element.
func (m *MimeTypes) ByName(name []byte) string { return m.ByExt(Ext(name)) }

// Ext is the extension of the last path element of name, without the dot.
func Ext(name []byte) []byte {
	if i := bytes.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	if i := bytes.LastIndexByte(name, '.'); i >= 0 {
		return name[i+1:]
	}
	return nil
}
