package store

import "time"

// Subject is a subject's plan assignment.
type Subject struct {
	Subject string
	// Plan is the key of the assigned plan.
	Plan string
	// Anchor is the start of the subscription; anchored periods repeat from it.
	Anchor time.Time
	// Cycle names how billing periods are laid out ("calendar" or "anniversary").
	Cycle string
	// TimeZone is an IANA zone name, such as "Europe/Lisbon".
	TimeZone  string
	UpdatedAt time.Time
}

// GetSubjectParams are the arguments of Store.GetSubject.
type GetSubjectParams struct {
	Subject string
}

// GetSubjectResult is the result of Store.GetSubject.
type GetSubjectResult struct {
	Subject Subject
}

// GetSubjectsParams are the arguments of Store.GetSubjects.
type GetSubjectsParams struct {
	Subjects []string
}

// GetSubjectsResult is the result of Store.GetSubjects: a subject without an
// assignment is absent.
type GetSubjectsResult struct {
	Subjects []Subject
}
