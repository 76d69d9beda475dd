package report

// Formula injection: a spreadsheet opening a CSV file, or a cell copied out of a
// workbook, runs text starting with one of these characters as a formula. OWASP's
// advice is to prefix such text with a single quote and quote the field. Every
// text cell is treated so, whether or not it came from user data; the library's
// own numbers are numeric cells and are never touched.

// dangerous reports whether s starts with a character that makes a formula.
func dangerous(s string) bool {
	if s == "" {
		return false
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r', '\n':
		return true
	}
	return false
}

// neutralise returns s made inert: prefixed with a single quote when dangerous.
func neutralise(s string) string {
	if dangerous(s) {
		return "'" + s
	}
	return s
}
