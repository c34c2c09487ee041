package files

import (
	"archive/zip"
	"bytes"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"
)

// Content types the package recognises. The stored type is always the
// detected one, never the client's claim or the file name's extension.
const (
	TypePDF  = "application/pdf"
	TypeDOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	TypeXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	TypeJPEG = "image/jpeg"
	TypePNG  = "image/png"
	TypeGIF  = "image/gif"
	TypeWebP = "image/webp"
	TypeText = "text/plain; charset=utf-8"
)

// DefaultAllowed is every type the package can verify.
var DefaultAllowed = []string{TypePDF, TypeDOCX, TypeXLSX, TypeJPEG, TypePNG, TypeGIF, TypeWebP, TypeText}

// TypeNames are the Chinese names shown in messages and lists.
var TypeNames = map[string]string{
	TypePDF: "PDF", TypeDOCX: "Word文档(DOCX)", TypeXLSX: "Excel表格(XLSX)", TypeJPEG: "JPEG图片",
	TypePNG: "PNG图片", TypeGIF: "GIF图片", TypeWebP: "WebP图片", TypeText: "纯文本(UTF-8)",
}

// IsImage reports whether a detected type gets a preview.
func IsImage(ct string) bool {
	return ct == TypeJPEG || ct == TypePNG || ct == TypeGIF || ct == TypeWebP
}

// Detect returns the content type of the whole file in r (size bytes), or
// "" with a Chinese reason when the content is refused: executables,
// HTML, SVG and other markup (stored XSS), unknown binaries and zip files
// that are not Office documents.
func Detect(r io.ReaderAt, size int64) (ct, reason string) {
	head := make([]byte, 512)
	n, _ := r.ReadAt(head, 0)
	head = head[:n]
	if n == 0 {
		return "", "文件为空"
	}
	switch {
	case bytes.HasPrefix(head, []byte("MZ")),
		bytes.HasPrefix(head, []byte("\x7fELF")),
		bytes.HasPrefix(head, []byte{0xfe, 0xed, 0xfa, 0xce}), bytes.HasPrefix(head, []byte{0xfe, 0xed, 0xfa, 0xcf}),
		bytes.HasPrefix(head, []byte{0xce, 0xfa, 0xed, 0xfe}), bytes.HasPrefix(head, []byte{0xcf, 0xfa, 0xed, 0xfe}),
		bytes.HasPrefix(head, []byte{0xca, 0xfe, 0xba, 0xbe}),
		bytes.HasPrefix(head, []byte("#!")):
		return "", "不允许上传可执行程序或脚本"
	case bytes.HasPrefix(head, []byte("%PDF-")):
		return TypePDF, ""
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return TypePNG, ""
	case bytes.HasPrefix(head, []byte{0xff, 0xd8, 0xff}):
		return TypeJPEG, ""
	case bytes.HasPrefix(head, []byte("GIF87a")), bytes.HasPrefix(head, []byte("GIF89a")):
		return TypeGIF, ""
	case len(head) >= 12 && bytes.Equal(head[:4], []byte("RIFF")) && bytes.Equal(head[8:12], []byte("WEBP")):
		return TypeWebP, ""
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return detectOOXML(r, size)
	}
	sniffed := http.DetectContentType(head)
	if markup(head) || strings.HasPrefix(sniffed, "text/html") || strings.HasPrefix(sniffed, "text/xml") {
		return "", "不允许上传网页、SVG 或 XML 文件"
	}
	if strings.HasPrefix(sniffed, "text/plain") {
		// The sniffer looks at 512 bytes only: check the whole text.
		if !validText(r, size) {
			return "", "文本文件须为 UTF-8 编码的纯文本"
		}
		return TypeText, ""
	}
	return "", "不支持的文件类型"
}

// markup reports whether the head looks like HTML, SVG or XML anywhere
// (the standard sniffer only looks at the very start).
func markup(head []byte) bool {
	l := bytes.ToLower(head)
	for _, m := range []string{"<html", "<script", "<svg", "<?xml", "<!doctype", "<iframe", "<body", "<head"} {
		if bytes.Contains(l, []byte(m)) {
			return true
		}
	}
	return false
}

// validText checks the whole file is UTF-8 with no markup in any chunk.
func validText(r io.ReaderAt, size int64) bool {
	b := make([]byte, size)
	if _, err := r.ReadAt(b, 0); err != nil && err != io.EOF {
		return false
	}
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(b) || bytes.IndexByte(b, 0) >= 0 {
		return false
	}
	return !markup(b)
}

// detectOOXML accepts a zip only when it is a Word or Excel document.
func detectOOXML(r io.ReaderAt, size int64) (string, string) {
	z, err := zip.NewReader(r, size)
	if err != nil {
		return "", "压缩文件已损坏"
	}
	has := map[string]bool{}
	for _, f := range z.File {
		has[f.Name] = true
	}
	if !has["[Content_Types].xml"] {
		return "", "不允许上传压缩包"
	}
	switch {
	case has["word/document.xml"]:
		return TypeDOCX, ""
	case has["xl/workbook.xml"]:
		return TypeXLSX, ""
	}
	return "", "只支持 Word(DOCX) 和 Excel(XLSX) 格式的 Office 文档"
}
