package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// checkAccessibility checks, on what the page shows, what can be read off the
// DOM: headings that skip no level, a name for every control, and a contrast of
// at least 4.5:1 between every visible text and its background (WCAG 2 AA).
func checkAccessibility(t *testing.T, b *browser) {
	t.Helper()
	problems := eval[[]string](t, b, `(() => {
		const problems = [];
		const visible = (e) => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden';

		let level = 0;
		for (const h of document.querySelectorAll('h1, h2, h3, h4, h5, h6')) {
			if (!visible(h)) continue;
			const n = Number(h.tagName[1]);
			if (n > level + 1) problems.push('heading ' + h.tagName + ' "' + h.textContent + '" skips a level after h' + level);
			level = n;
		}

		for (const c of document.querySelectorAll('button, input, select, textarea, [tabindex]')) {
			if (!visible(c) || c.matches('h1, h2, h3, main')) continue;
			const label = c.getAttribute('aria-label') || (c.labels && c.labels.length && c.labels[0].textContent) ||
				(c.getAttribute('aria-labelledby') && document.getElementById(c.getAttribute('aria-labelledby'))) ||
				(c.tagName === 'BUTTON' && c.textContent.trim());
			if (!label) problems.push('control without a name: ' + c.outerHTML.slice(0, 80));
		}

		const rgba = (s) => { const m = s.match(/[\d.]+/g).map(Number); return { r: m[0], g: m[1], b: m[2], a: m.length > 3 ? m[3] : 1 }; };
		const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
		const background = (e) => {
			for (let n = e; n; n = n.parentElement) {
				if (n instanceof SVGElement && n.tagName !== 'svg') continue;
				const c = rgba(getComputedStyle(n).backgroundColor);
				if (c.a > 0.5) return c;
			}
			return { r: 255, g: 255, b: 255, a: 1 };
		};
		const texts = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
		for (let node = texts.nextNode(); node; node = texts.nextNode()) {
			const e = node.parentElement;
			if (!node.textContent.trim() || !visible(e) || e.closest('title, option')) continue;
			const style = getComputedStyle(e);
			const fg = rgba(e instanceof SVGElement ? style.fill : style.color);
			const l1 = lum(fg), l2 = lum(background(e));
			const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
			if (ratio < 4.5) problems.push('contrast ' + ratio.toFixed(2) + ':1 of "' + node.textContent.trim().slice(0, 40) + '"');
		}
		return problems;
	})()`)
	require.Empty(t, problems)
}
