// Helpers that make and find the page's elements.

const SVG_NS = 'http://www.w3.org/2000/svg';
// trend and forecast keep what the charts show, to draw them again when the
// window's width changes.

export const $ = (id) => document.getElementById(id);

// el makes an HTML element: attrs are attributes ("text" sets the text content),
// children are appended.
export function el(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

export function svg(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

function build(node, attrs, children) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'text') node.textContent = v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

export function sectionError(section, err) {
  const box = $(section).querySelector('[data-error]');
  box.textContent = err ? err.message : '';
}

export function loaded(section) {
  $(section).dataset.loaded = 'true';
}

export function announce(text) {
  $('status').textContent = text;
}
