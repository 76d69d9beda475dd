package store

import "errors"

// ErrNotFound is returned (possibly wrapped) when a requested record does not exist.
var ErrNotFound = errors.New("not found")

// ErrOverflow is returned when a quantity would leave the int64 micro-unit range.
var ErrOverflow = errors.New("quantity overflows the int64 micro-unit range")
