package postgres

// CopyRows is copyRows, for the tests of package postgres_test, which have a server.
var CopyRows = copyRows
