package httpmw_test

import (
	"strconv"
	"testing"
)

// sfItem is a structured-field item whose bare item is a string, with integer
// parameters: the shape of the RateLimit and RateLimit-Policy members.
type sfItem struct {
	name   string
	params map[string]int64
}

// parseItem parses a one-member structured-field list of a string item with
// integer parameters (RFC 9651 sections 3.1, 3.1.2, 3.3.1, 3.3.3), failing the
// test on any syntax error.
func parseItem(t *testing.T, s string) sfItem {
	t.Helper()
	p := sfParser{s: s}
	it, err := p.item()
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return it
}

type sfParser struct {
	s string
	i int
}

type sfError string

func (e sfError) Error() string { return string(e) }

func (p *sfParser) item() (sfItem, error) {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
	name, err := p.str()
	if err != nil {
		return sfItem{}, err
	}
	it := sfItem{name: name, params: map[string]int64{}}
	for p.i < len(p.s) && p.s[p.i] == ';' {
		p.i++
		k := p.key()
		if k == "" {
			return sfItem{}, sfError("empty parameter key at " + strconv.Itoa(p.i))
		}
		if p.i >= len(p.s) || p.s[p.i] != '=' {
			return sfItem{}, sfError("parameter " + k + " without an integer value")
		}
		p.i++
		v, err := p.integer()
		if err != nil {
			return sfItem{}, err
		}
		if _, dup := it.params[k]; dup {
			return sfItem{}, sfError("duplicate parameter " + k)
		}
		it.params[k] = v
	}
	if p.i != len(p.s) {
		return sfItem{}, sfError("trailing characters at " + strconv.Itoa(p.i))
	}
	return it, nil
}

func (p *sfParser) str() (string, error) {
	if p.i >= len(p.s) || p.s[p.i] != '"' {
		return "", sfError("want a string")
	}
	p.i++
	var out []byte
	for p.i < len(p.s) {
		c := p.s[p.i]
		p.i++
		switch {
		case c == '\\':
			if p.i >= len(p.s) || (p.s[p.i] != '"' && p.s[p.i] != '\\') {
				return "", sfError("bad escape")
			}
			out = append(out, p.s[p.i])
			p.i++
		case c == '"':
			return string(out), nil
		case c < 0x20 || c > 0x7e:
			return "", sfError("byte outside printable ASCII in a string")
		default:
			out = append(out, c)
		}
	}
	return "", sfError("unterminated string")
}

func (p *sfParser) key() string {
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		first := p.i == start
		if (c >= 'a' && c <= 'z') || c == '*' || (!first && ((c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.')) {
			p.i++
			continue
		}
		break
	}
	return p.s[start:p.i]
}

func (p *sfParser) integer() (int64, error) {
	start := p.i
	if p.i < len(p.s) && p.s[p.i] == '-' {
		p.i++
	}
	digits := p.i
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		p.i++
	}
	if p.i == digits || p.i-digits > 15 {
		return 0, sfError("want an integer of 1 to 15 digits")
	}
	return strconv.ParseInt(p.s[start:p.i], 10, 64)
}

func TestStructuredFieldParserRefusesWhatRFC9651Refuses(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{`documents;q=1`, `"documents";q=1.5`, `"documents";Q=1`, `"doc";q=1;q=2`,
		`"unterminated`, `"documents";q=`, `"documents" ;q=1`, `"documents";q=1234567890123456`} {
		p := sfParser{s: bad}
		if _, err := p.item(); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	p := sfParser{s: `"a\"b";q=100;w=2592000`}
	it, err := p.item()
	if err != nil || it.name != `a"b` || it.params["q"] != 100 || it.params["w"] != 2592000 {
		t.Fatalf("got %+v, %v", it, err)
	}
}
