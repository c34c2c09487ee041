// Package web is the HTML shell shared by every business line: layout, navigation,
// templates, i18n, forms, flash messages, pagination, static files and HTTP middleware.
//
// Pages. A package embeds its templates and registers them under an owner:
//
//	//go:embed all:templates
//	var tmpl embed.FS
//	func init() { sub, _ := fs.Sub(tmpl, "templates"); web.RegisterTemplates("cases", sub) }
//
// ("all:" is needed: go:embed skips files starting with "_" inside a named directory.)
// Each page file "cases/list.html" must {{define "content"}} and may define "title",
// "head" (extra <link> tags), "scripts" (extra <script src> tags) and "partial" (the
// fragment returned to htmx requests, usually the table with its pager). Files whose
// name starts with "_" are partials, shared by every page and called by full name,
// e.g. {{template "cases/_row.html" .}}. The shell's own partials are called without
// an owner: "_pager.html", "_field.html", "_form_errors.html", "_table_empty.html".
//
// Anonymous pages (login) use the minimal layout "layout_public.html": set Page.Public,
// or have the page {{define "layout"}}public{{end}}.
//
// Inline <script> and style="" attributes are forbidden by the CSP (SecurityHeaders):
// put behaviour in a registered static .js file (RegisterStatic) and look in app.css
// for utility classes.
//
// Text. Templates write Chinese and translate with {{.T "组织机构"}}; catalogs map the
// Chinese text to another language (RegisterCatalog, RegisterCatalogFS). A missing
// translation shows the Chinese text. The language comes from the "lang" cookie
// (set by LangHandler at GET /lang?to=en), then Viewer.Lang, then "zh".
//
// Shared partials: {{template "_form_errors.html" .}} (error summary of .Form),
// {{template "_field.html" (dict "P" . "Name" "phone" "Label" "联系电话" "Type" "tel" "Required" true)}},
// {{template "_pager.html" (dict "P" . "Pager" .Data.Pager "Target" "#list")}},
// {{template "_table_empty.html" (dict "P" $ "Cols" 5)}}. Each file starts with a comment
// listing its keys. Template funcs: static, date, datetime, add, seq, dict, list, join, opt.
//
// Middleware, outermost first: RequestID, AccessLog, Recover, SecurityHeaders, then auth
// (WithViewer), then RecordRoute(mux) so the access log gets the route pattern.
// htmx is configured in the layout to keep no history snapshots in localStorage (personal
// data) and to swap 422 responses, so a form posted with htmx shows its errors.
//
// Customisation. Options.CustomDir may hold templates/<owner>/<file>.html (replacing the
// embedded file of that owner; the shell's own files are under owner "web", e.g.
// templates/web/layout.html), static/<path> (replacing or adding a static file, e.g.
// static/logo.svg) and i18n/<lang>.json (overriding translations). Changes are read at
// start-up, or on every request with Options.Dev.
package web
