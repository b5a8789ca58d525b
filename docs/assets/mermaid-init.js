// Draws every <div class="mermaid"> of the page with the local copy of mermaid
// (assets/mermaid.min.js, fetched by `make docs`). Without that file the diagrams stay as
// their source text, which is still readable.
if (typeof window.mermaid !== "undefined" && !(window.mermaid instanceof Element)) {
  window.mermaid.initialize({ startOnLoad: true, securityLevel: "strict", theme: "default" });
}
