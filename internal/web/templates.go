package web

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

//go:embed all:templates
var embeddedTemplates embed.FS

// shellOwner is the owner name of this package's own templates (layouts, shared partials,
// the error page). Its files are named without the owner prefix: "layout.html", "_pager.html".
const shellOwner = "web"

var (
	tmplMu   sync.Mutex
	tmplRegs = map[string]fs.FS{}
)

func init() {
	sub, _ := fs.Sub(embeddedTemplates, "templates")
	tmplRegs[shellOwner] = sub
	sub, _ = fs.Sub(embeddedI18n, "i18n")
	if err := RegisterCatalogFS(sub); err != nil {
		panic(err)
	}
}

// RegisterTemplates adds a package's templates: every *.html under the root of fsys,
// named "<owner>/<path>". Files whose base name starts with "_" are partials shared by
// all pages; the others are pages. Call it from init.
func RegisterTemplates(owner string, fsys fs.FS) {
	if owner == "" || owner == shellOwner || strings.Contains(owner, "/") {
		panic("web.RegisterTemplates: invalid owner " + owner)
	}
	tmplMu.Lock()
	defer tmplMu.Unlock()
	tmplRegs[owner] = fsys
}

// Options configure a Renderer.
type Options struct {
	CustomDir string       // directory with templates/, static/, i18n/ overrides; "" for none
	Dev       bool         // re-read templates and custom files on each request
	SiteName  string       // shown in the header and <title>; default "枫桥司法所工作平台"
	Logger    *slog.Logger // template execution errors; default slog.Default()
}

// DefaultSiteName is shown when Options.SiteName is empty.
const DefaultSiteName = "枫桥司法所工作平台"

// Renderer renders registered pages inside the layout.
type Renderer struct {
	opts Options
	log  *slog.Logger

	mu     sync.RWMutex
	pages  map[string]*template.Template // "owner/file.html" → page with base templates
	static staticSet
	tr     *translator
}

// NewRenderer parses every registered template (with custom overrides); the error
// names the template that failed.
func NewRenderer(opts Options) (*Renderer, error) {
	if opts.SiteName == "" {
		opts.SiteName = DefaultSiteName
	}
	r := &Renderer{opts: opts, log: opts.Logger}
	if r.log == nil {
		r.log = slog.Default()
	}
	if err := r.load(); err != nil {
		return nil, err
	}
	return r, nil
}

// load (re)reads templates, static files and custom catalogs.
func (r *Renderer) load() error {
	st, err := loadStatic(r.opts.CustomDir)
	if err != nil {
		return fmt.Errorf("web: static files: %w", err)
	}
	tr := &translator{custom: map[string]map[string]string{}}
	if dir := filepath.Join(r.opts.CustomDir, "i18n"); r.opts.CustomDir != "" && isDir(dir) {
		if tr.custom, err = readCatalogs(os.DirFS(dir)); err != nil {
			return fmt.Errorf("web: custom %w", err)
		}
	}
	pages, err := r.parse(st)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.pages, r.static, r.tr = pages, st, tr
	r.mu.Unlock()
	activeStatic.Store(&st)
	return nil
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// tmplFile is one template source.
type tmplFile struct {
	name, page, src string // template name, page key ("owner/file"), where it came from
	text            string
}

// collect reads every registered template, replacing files found under customDir/templates/<owner>/.
func (r *Renderer) collect() ([]tmplFile, error) {
	tmplMu.Lock()
	regs := make(map[string]fs.FS, len(tmplRegs))
	for k, v := range tmplRegs {
		regs[k] = v
	}
	tmplMu.Unlock()
	var files []tmplFile
	for owner, fsys := range regs {
		texts := map[string]string{}
		srcs := map[string]string{}
		read := func(fsys fs.FS, src string) error {
			return fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() || path.Ext(p) != ".html" {
					return err
				}
				b, err := fs.ReadFile(fsys, p)
				if err != nil {
					return err
				}
				texts[p], srcs[p] = string(b), src+"/"+p
				return nil
			})
		}
		if err := read(fsys, "embedded:"+owner); err != nil {
			return nil, fmt.Errorf("web: templates of %s: %w", owner, err)
		}
		if r.opts.CustomDir != "" {
			dir := filepath.Join(r.opts.CustomDir, "templates", owner)
			if isDir(dir) {
				if err := read(os.DirFS(dir), dir); err != nil {
					return nil, fmt.Errorf("web: custom templates: %w", err)
				}
			}
		}
		for p, text := range texts {
			name := owner + "/" + p
			if owner == shellOwner {
				name = p
			}
			files = append(files, tmplFile{name: name, page: owner + "/" + p, src: srcs[p], text: text})
		}
	}
	sort.Slice(files, func(i, j int) bool { return files[i].name < files[j].name })
	return files, nil
}

// defaults are the blocks a page may override.
const defaults = `{{define "title"}}{{.T .Title}}{{end}}{{define "head"}}{{end}}{{define "scripts"}}{{end}}{{define "layout"}}{{end}}`

func isPartial(name string) bool { return strings.HasPrefix(path.Base(name), "_") }

func isLayout(name string) bool { return name == "layout.html" || name == "layout_public.html" }

func (r *Renderer) parse(st staticSet) (map[string]*template.Template, error) {
	files, err := r.collect()
	if err != nil {
		return nil, err
	}
	base := template.New("").Funcs(funcs(st))
	if _, err := base.New("defaults").Parse(defaults); err != nil {
		return nil, err
	}
	for _, f := range files {
		if isPartial(f.name) || isLayout(f.name) {
			if _, err := base.New(f.name).Parse(f.text); err != nil {
				return nil, fmt.Errorf("web: template %s (%s): %w", f.name, f.src, err)
			}
		}
	}
	for _, l := range []string{"layout.html", "layout_public.html"} {
		if base.Lookup(l) == nil {
			return nil, fmt.Errorf("web: template %s missing", l)
		}
	}
	pages := map[string]*template.Template{}
	for _, f := range files {
		if isPartial(f.name) || isLayout(f.name) {
			continue
		}
		t, err := base.Clone()
		if err != nil {
			return nil, err
		}
		if _, err := t.New(f.name).Parse(f.text); err != nil {
			return nil, fmt.Errorf("web: template %s (%s): %w", f.name, f.src, err)
		}
		if c := t.Lookup("content"); c == nil || c.Tree == nil || c.Tree.Root == nil || len(c.Tree.Root.Nodes) == 0 {
			return nil, fmt.Errorf("web: template %s (%s): no {{define \"content\"}}", f.name, f.src)
		}
		pages[f.page] = t
	}
	return pages, nil
}

var errNoPage = errors.New("web: no such page template")

// page returns the template set of a page, re-reading everything first in Dev mode.
func (r *Renderer) page(name string) (*template.Template, *translator, error) {
	if r.opts.Dev {
		if err := r.load(); err != nil {
			return nil, nil, err
		}
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	t := r.pages[name]
	if t == nil {
		return nil, nil, fmt.Errorf("%w: %s", errNoPage, name)
	}
	return t, r.tr, nil
}

func (r *Renderer) staticSet() staticSet {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.static
}

// StaticURL is StaticURL for this renderer's files.
func (r *Renderer) StaticURL(name string) string { return r.staticSet().url(name) }
